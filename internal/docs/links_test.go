package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var linkRE = regexp.MustCompile(`\]\(([^)#\s]+)(#[^)\s]*)?\)`)

// TestDocsLinksResolve: every relative link in the README and docs/ names
// a file that exists, and docs/workflows.md links every example workflow
// (the docs link the examples rather than copy them, so they cannot drift).
func TestDocsLinksResolve(t *testing.T) {
	t.Parallel()
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range append(docs, "../../README.md") {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range linkRE.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(doc), target)); err != nil {
				t.Errorf("%s links %s, which does not exist", filepath.Base(doc), target)
			}
		}
	}
	wf, err := os.ReadFile("../../docs/workflows.md")
	if err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Glob("../../examples/*.yml")
	for _, ex := range examples {
		if !strings.Contains(string(wf), "](../examples/"+filepath.Base(ex)+")") {
			t.Errorf("docs/workflows.md does not link examples/%s", filepath.Base(ex))
		}
	}
}
