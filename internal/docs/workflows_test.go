package docs

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The workflows and examples are read line by line: go.mod has no YAML
// library, and the files keep to block style (one key per line), which
// these helpers insist on rather than guess at.

// entry is one key of a YAML block mapping.
type entry struct {
	line  int // 1-based
	key   string
	value string // the scalar on the key's line, unquoted; "" for a block
}

// step is one item of a steps: list.
type step struct {
	line int
	keys []entry // the step's own keys (uses, id, with, env, ...)
	with []entry
	env  []entry
}

func (s step) get(key string) string {
	for _, e := range s.keys {
		if e.key == key {
			return e.value
		}
	}
	return ""
}

var keyRE = regexp.MustCompile(`^([A-Za-z0-9_.-]+):(?:\s+(.*))?$`)

// parseKey splits "key: value  # comment" into key and unquoted value.
func parseKey(text string) (key, value string, ok bool) {
	m := keyRE.FindStringSubmatch(strings.TrimSpace(text))
	if m == nil {
		return "", "", false
	}
	return m[1], scalar(m[2]), true
}

// scalar unquotes a one-line YAML scalar and drops a trailing comment.
func scalar(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'")
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
		return v[1 : len(v)-1]
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v
}

// block returns the entries of the block mapping whose lines follow line i
// (0-based) and are indented deeper than parent, and the index after it.
// Lines indented deeper than the mapping's keys (block scalars) are skipped.
func block(lines []string, i, parent int) ([]entry, int, error) {
	var out []entry
	keyIndent := -1
	j := i + 1
	for ; j < len(lines); j++ {
		if isBlankOrComment(lines[j]) {
			continue
		}
		ind, text := indentOf(lines[j])
		if ind <= parent {
			break
		}
		if keyIndent < 0 {
			keyIndent = ind
		}
		if ind > keyIndent {
			continue
		}
		if ind < keyIndent {
			return nil, j, fmt.Errorf("line %d: indentation %d inside a mapping indented %d", j+1, ind, keyIndent)
		}
		k, v, ok := parseKey(text)
		if !ok {
			return nil, j, fmt.Errorf("line %d: %q is not a key: value line", j+1, text)
		}
		out = append(out, entry{line: j + 1, key: k, value: v})
	}
	return out, j, nil
}

// parseSteps returns every step of every steps: list in a workflow.
func parseSteps(src string) ([]step, error) {
	lines := strings.Split(src, "\n")
	var steps []step
	for i := 0; i < len(lines); i++ {
		ind, text := indentOf(lines[i])
		if k, v, ok := parseKey(text); !ok || k != "steps" || v != "" {
			continue
		}
		parent := ind
		itemIndent := -1
		for j := i + 1; j < len(lines); j++ {
			if isBlankOrComment(lines[j]) {
				continue
			}
			ind, text := indentOf(lines[j])
			if itemIndent < 0 {
				itemIndent = ind
			}
			if ind <= parent || ind < itemIndent {
				break
			}
			if ind > itemIndent {
				continue // inside the current step
			}
			first, ok := strings.CutPrefix(text, "- ")
			if !ok {
				return nil, fmt.Errorf("line %d: want a list item (- key: value) under steps:", j+1)
			}
			// Rewrite "- key: v" as a plain key line so the step's keys read as
			// one block mapping indented two more than the dash.
			lines[j] = strings.Repeat(" ", ind+2) + first
			keys, _, err := block(lines, j-1, ind)
			if err != nil {
				return nil, err
			}
			s := step{line: j + 1, keys: keys}
			for _, k := range keys {
				if k.key != "with" && k.key != "env" {
					continue
				}
				if k.value != "" {
					return nil, fmt.Errorf("line %d: %s: %s: write it as a block mapping, one key per line", k.line, k.key, k.value)
				}
				entries, _, err := block(lines, k.line-1, ind+2)
				if err != nil {
					return nil, err
				}
				if k.key == "with" {
					s.with = entries
				} else {
					s.env = entries
				}
			}
			steps = append(steps, s)
		}
	}
	return steps, nil
}

// actionYML reads action.yml's top-level inputs: and outputs: keys.
func actionYML(t *testing.T) (inputs, outputs map[string]bool) {
	t.Helper()
	lines := strings.Split(readRepoFile(t, "action.yml"), "\n")
	read := func(section string) map[string]bool {
		for i, l := range lines {
			if l == section+":" {
				entries, _, err := block(lines, i, 0)
				if err != nil {
					t.Fatalf("action.yml: %v", err)
				}
				keys := map[string]bool{}
				for _, e := range entries {
					keys[e.key] = true
				}
				return keys
			}
		}
		t.Fatalf("action.yml has no %s: section", section)
		return nil
	}
	return read("inputs"), read("outputs")
}

// workflowFiles lists the workflows and examples, relative to the root.
func workflowFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{".github/workflows/*.y*ml", "examples/*.y*ml"} {
		m, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pattern)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			rel, err := filepath.Rel(root, f)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, filepath.ToSlash(rel))
		}
	}
	if len(files) == 0 {
		t.Fatal("no workflow files found")
	}
	return files
}

// isTagguard reports whether a uses: value runs tagguard's action or image.
func isTagguard(uses string) bool {
	return uses == "./" || uses == "." || strings.HasPrefix(uses, "tagguard/tagguard@") ||
		strings.HasPrefix(uses, "docker://ghcr.io/tagguard/tagguard:")
}

var modes = []string{"audit", "check", "pin", "promote", "record", "restore"}

// tagguardStep is a step that runs tagguard with inputs: a uses: step's
// with: block, or a run: step passing the runner's INPUT_<NAME> environment
// to the binary itself (how tagguard's own release runs it).
type tagguardStep struct {
	step
	inputs []entry // names as in action.yml
}

func tagguardSteps(t *testing.T, file string, steps []step) []tagguardStep {
	t.Helper()
	var out []tagguardStep
	for _, s := range steps {
		if isTagguard(s.get("uses")) {
			out = append(out, tagguardStep{s, s.with})
			continue
		}
		var in []entry
		for _, e := range s.env {
			if name, ok := strings.CutPrefix(e.key, "INPUT_"); ok {
				if name != strings.ToUpper(name) {
					t.Errorf("%s:%d: env %s: the runner upper-cases input names", file, e.line, e.key)
				}
				in = append(in, entry{e.line, strings.ToLower(name), e.value})
			}
		}
		if in != nil {
			out = append(out, tagguardStep{s, in})
		}
	}
	return out
}

func TestWorkflowInputs(t *testing.T) {
	t.Parallel()
	inputs, outputs := actionYML(t)
	seen := map[string][]string{} // mode → files
	for _, file := range workflowFiles(t) {
		src := readRepoFile(t, file)
		steps, err := parseSteps(src)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		ids := map[string]bool{}
		for _, s := range tagguardSteps(t, file, steps) {
			mode := ""
			for _, in := range s.inputs {
				if !inputs[in.key] {
					t.Errorf("%s:%d: input %q is not declared in action.yml", file, in.line, in.key)
				}
				if in.key == "mode" {
					mode = in.value
				}
			}
			if !slices.Contains(modes, mode) {
				t.Errorf("%s:%d: tagguard step has mode %q, want one of %v", file, s.line, mode, modes)
			}
			seen[mode] = append(seen[mode], file)
			if id := s.get("id"); id != "" {
				ids[id] = true
			}
		}
		// Outputs read from a tagguard step must be declared too.
		for _, m := range regexp.MustCompile(`steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)`).FindAllStringSubmatch(src, -1) {
			if ids[m[1]] && !outputs[m[2]] {
				t.Errorf("%s: steps.%s.outputs.%s: output %q is not declared in action.yml", file, m[1], m[2], m[2])
			}
		}
	}
	// The parse found what the examples are about; an empty result would
	// otherwise pass silently.
	want := map[string][]string{
		"audit":   {"examples/audit.yml"},
		"check":   {"examples/release.yml"},
		"pin":     {"examples/deploy.yml", "examples/deploy.yml"},
		"promote": {".github/workflows/release.yml", "examples/promote.yml"},
		"record":  {"examples/release.yml"},
		"restore": {"examples/restore.yml"},
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("tagguard steps by mode (-want +got):\n%s", diff)
	}
}

func TestParseSteps(t *testing.T) {
	t.Parallel()
	src := `jobs:
  a:
    steps:
      - uses: actions/checkout@v4
      # a comment
      - name: guard
        id: g
        uses: tagguard/tagguard@v1
        with:
          mode: 'check'
          images: |
            a:1
            b: 2
          expected-base: main # a comment
      - run: |
          - not a step
        env:
          INPUT_MODE: "record"
  b:
    steps:
      - uses: ./
        with:
          mode: restore
`
	steps, err := parseSteps(src)
	if err != nil {
		t.Fatal(err)
	}
	type flat struct {
		Line int
		Uses string
		With []string
		Env  []string
	}
	var got []flat
	for _, s := range steps {
		f := flat{Line: s.line, Uses: s.get("uses")}
		for _, e := range s.with {
			f.With = append(f.With, e.key+"="+e.value)
		}
		for _, e := range s.env {
			f.Env = append(f.Env, e.key+"="+e.value)
		}
		got = append(got, f)
	}
	want := []flat{
		{Line: 4, Uses: "actions/checkout@v4"},
		{Line: 6, Uses: "tagguard/tagguard@v1", With: []string{"mode=check", "images=|", "expected-base=main"}},
		{Line: 15, Env: []string{"INPUT_MODE=record"}},
		{Line: 21, Uses: "./", With: []string{"mode=restore"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseSteps (-want +got):\n%s", diff)
	}
	if _, err := parseSteps("steps:\n  - uses: x\n    with: {mode: check}\n"); err == nil {
		t.Error("a flow mapping under with: parsed; want an error")
	}
}

func TestReleaseImageMatchesActionYML(t *testing.T) {
	t.Parallel()
	// action.yml names the prebuilt image; the release workflow must publish
	// that repository, with the floating tag action.yml names among its tags.
	m := regexp.MustCompile(`(?m)^  image: "?docker://([^:"]+):([^"\s]+)"?`).FindStringSubmatch(readRepoFile(t, "action.yml"))
	if m == nil {
		t.Fatal("action.yml: no runs.image of the form docker://REPO:TAG")
	}
	repo, tag := m[1], m[2]
	release := readRepoFile(t, ".github/workflows/release.yml")
	if !strings.Contains(release, "IMAGE: "+repo+"\n") {
		t.Errorf("release.yml does not publish %s (env IMAGE), the image action.yml runs", repo)
	}
	if tag == "v1" && !strings.Contains(release, `echo "$IMAGE:v$major"`) {
		t.Errorf("action.yml runs tag %s, but release.yml does not publish v<major>", tag)
	}
	// The release commit's action.yml is rendered by the tool the test of
	// internal/action holds to the runner's grammar.
	if !strings.Contains(release, "go run ./internal/tools/releaseyml -version") {
		t.Error("release.yml does not pin action.yml to the promoted digest")
	}
}
