// Package docs tests the repository's files that are not Go: the Dockerfile
// against the runner's contract for container actions, the workflows and
// examples against action.yml's inputs and outputs, docs/ against the code
// (the generated command reference, the JSON report, links that resolve).
// The package has no code of its own.
package docs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// root is the repository root, seen from this package's directory.
const root = "../.."

// readRepoFile returns the file at rel (slash-separated, from the repository
// root), failing the test when it cannot be read.
func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("reading %s: %v", rel, err)
	}
	return string(b)
}

// indentOf returns a line's indentation (spaces) and its text after it.
func indentOf(line string) (int, string) {
	text := strings.TrimLeft(line, " ")
	return len(line) - len(text), text
}

// isBlankOrComment reports whether a YAML or Dockerfile line carries nothing.
func isBlankOrComment(text string) bool {
	text = strings.TrimSpace(text)
	return text == "" || strings.HasPrefix(text, "#")
}
