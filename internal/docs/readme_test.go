package docs

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// An include marker says that the fenced block right after it shows the file
// it names, so the README's examples cannot drift from the files.
var includeRE = regexp.MustCompile(`^<!--\s*include:\s*(\S+)\s*-->\s*$`)

// include is one marker and the fenced block after it.
type include struct {
	line int // 1-based line of the marker
	path string
	body string // the block's content, without the fences
}

// includes finds every include marker in a Markdown document and the fenced
// block that must follow it (blank lines in between are allowed).
func includes(doc string) ([]include, error) {
	lines := strings.Split(doc, "\n")
	var out []include
	for i := 0; i < len(lines); i++ {
		m := includeRE.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			continue
		}
		in := include{line: i + 1, path: m[1]}
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j == len(lines) || !strings.HasPrefix(lines[j], "```") {
			return nil, fmt.Errorf("line %d: include %s: no fenced block follows", in.line, in.path)
		}
		fence := lines[j][:len(lines[j])-len(strings.TrimLeft(lines[j], "`"))]
		end := j + 1
		for end < len(lines) && strings.TrimRight(lines[end], " ") != fence {
			end++
		}
		if end == len(lines) {
			return nil, fmt.Errorf("line %d: include %s: the fenced block is not closed", j+1, in.path)
		}
		in.body = strings.Join(lines[j+1:end], "\n")
		out = append(out, in)
		i = end
	}
	return out, nil
}

// trailingNewline normalises the end of a text to exactly one newline.
func trailingNewline(s string) string {
	return strings.TrimRight(s, "\n") + "\n"
}

func TestReadmeIncludes(t *testing.T) {
	t.Parallel()
	incs, err := includes(readRepoFile(t, "README.md"))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	if len(incs) > 0 {
		t.Errorf("README.md copies %s: link it instead (the README stays short; docs/ links the examples)", incs[0].path)
	}
	// No markers yet passes: the README decides what it shows.
	for _, in := range incs {
		if p := path.Clean(in.path); p != in.path || path.IsAbs(p) || strings.HasPrefix(p, "../") {
			t.Errorf("README.md:%d: include %s: want a clean path inside the repository", in.line, in.path)
			continue
		}
		want := trailingNewline(readRepoFile(t, in.path))
		if diff := cmp.Diff(want, trailingNewline(in.body)); diff != "" {
			t.Errorf("README.md:%d: the block differs from %s; copy the file into it (-file +README):\n%s", in.line, in.path, diff)
		}
	}
}

func TestIncludes(t *testing.T) {
	t.Parallel()
	doc := "intro\n<!-- include: examples/a.yml -->\n\n```yaml\non: push\n\njobs: {}\n```\n" +
		"text\n<!--include: b.txt-->\n````\n```\n````\n"
	got, err := includes(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := []include{
		{line: 2, path: "examples/a.yml", body: "on: push\n\njobs: {}"},
		{line: 10, path: "b.txt", body: "```"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(include{})); diff != "" {
		t.Errorf("includes (-want +got):\n%s", diff)
	}
	for _, bad := range []string{
		"<!-- include: a.yml -->\ntext\n",
		"<!-- include: a.yml -->\n```yaml\nno end\n",
	} {
		if _, err := includes(bad); err == nil {
			t.Errorf("includes(%q): no error", bad)
		}
	}
}
