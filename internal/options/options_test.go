package options

import (
	"slices"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	opts := For(Check)
	for in, want := range map[[2]string]string{
		{"jobs", "0"}:           `--jobs: "0" is out of range: must be at least 1`,
		{"jobs", "many"}:        `--jobs: "many" is not a valid whole number`,
		{"timeout", "0s"}:       `--timeout: "0s" is out of range`,
		{"timeout", "5"}:        `--timeout: "5" is not a valid duration`,
		{"require-base", "yes"}: `--require-base: "yes" is not a valid boolean`,
	} {
		v := NewValues(opts)
		v.Set(in[0], in[1])
		if err := v.Validate(opts); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%v: %v, want %s", in, err, want)
		}
	}
}

func TestListsAndRepeats(t *testing.T) {
	t.Parallel()
	v := NewValues(For(Check))
	v.Append("images", "a/b:1, a/b:2")
	v.Append("images", "a/b:3\r\n\na/b:4\n")
	if got := strings.Join(v.List("images"), " "); got != "a/b:1 a/b:2 a/b:3 a/b:4" {
		t.Errorf("images %q", got)
	}
	if v.IsSet("digest") || v.Int("jobs") != 8 {
		t.Error("defaults")
	}
}

func TestEveryCommandOptionIsKnown(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, o := range Table() {
		if seen[o.Name] {
			t.Errorf("option %s twice", o.Name)
		}
		seen[o.Name] = true
		for _, c := range o.Commands {
			if !slices.Contains(Commands, c) {
				t.Errorf("option %s names unknown command %s", o.Name, c)
			}
		}
		if o.Usage == "" {
			t.Errorf("option %s has no usage", o.Name)
		}
	}
}

// TestRegistryAuthKeepsCommas: a registry secret may hold a comma, and so
// may a key file's path; split there, each became two entries, neither of
// them right.
func TestRegistryAuthKeepsCommas(t *testing.T) {
	t.Parallel()
	v := NewValues(Table())
	v.Append(RegistryAuth, "ghcr.io=robot:pa,ss")
	v.Append(RegistryAuth, "registry.example.com=ci:x")
	got := v.List(RegistryAuth)
	if len(got) != 2 || got[0] != "ghcr.io=robot:pa,ss" {
		t.Errorf("--registry-auth split into %q", got)
	}
	v.Append(SignatureKey, "keys/release,2026.pub")
	v.Append(SignatureKey, "keys/old.pub")
	if got := v.List(SignatureKey); len(got) != 2 || got[0] != "keys/release,2026.pub" {
		t.Errorf("--signature-key split into %q", got)
	}
	v.Set(Images, "a/b:1,a/b:2")
	if len(v.List(Images)) != 2 {
		t.Errorf("--images is still split on commas: %q", v.List(Images))
	}
}
