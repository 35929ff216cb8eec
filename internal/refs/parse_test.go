package refs

import (
	"strings"
	"testing"
)

// TestParseTag: references as users write them parse to their full
// names; a tag must be written out and be one a registry accepts. No
// option reaches the parse: whether a host speaks plain HTTP is the
// client's to find, per host, when it connects.
func TestParseTag(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ghcr.io/org/app:1.2.3":       "ghcr.io/org/app:1.2.3",
		"org/app:1.2.3":               "index.docker.io/org/app:1.2.3",
		"localhost:5000/app:v1":       "localhost:5000/app:v1",
		" reg.internal:5000/a/b:c ":   "reg.internal:5000/a/b:c",
		"127.0.0.1:5000/org/app:sha1": "127.0.0.1:5000/org/app:sha1",
	} {
		got, err := ParseTag(in)
		if err != nil || got.Name() != want {
			t.Errorf("ParseTag(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"ghcr.io/org/app", "localhost:5000/app", "app@sha256:" + strings.Repeat("a", 64), "Org/App:1", "app:", "", "org/app:-bad", "org/app:.hidden"} {
		if _, err := ParseTag(bad); err == nil {
			t.Errorf("ParseTag(%q) accepted", bad)
		}
	}
}
