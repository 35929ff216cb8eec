package action

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

const releaseDigest = "sha256:cd06bc87d96057e6bd0a5e8e3d6e6ed3c0a0c6b5b0d2c7b4f2c0e8c9a1b2c3d4"

// TestReleaseActionYML: the release commit's action.yml
// names the promoted image by digest, in the grammar the runner takes for
// a docker action (runs.using docker, runs.image docker://REF), with the
// same inputs and outputs as main's, and nothing else differs.
func TestReleaseActionYML(t *testing.T) {
	t.Parallel()
	got, err := RenderReleaseActionYML("1.2.3", releaseDigest)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("testdata/release-action.yml", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/release-action.yml")
	if err != nil || string(want) != got {
		t.Errorf("differs from testdata/release-action.yml (go test ./internal/action -update):\n%s", got)
	}
	m := regexp.MustCompile(`(?m)^runs:\n  using: docker\n  image: "docker://([^"]+)" # v1\.2\.3\n\z`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("runs: block not as the runner reads a docker action:\n%s", got[strings.Index(got, "runs:"):])
	}
	d, err := name.NewDigest(m[1], name.StrictValidation)
	if err != nil || d.DigestStr() != releaseDigest || d.Context().String() != ImageRepository {
		t.Errorf("image %q: %v", m[1], err)
	}
	// Everything above runs: is main's action.yml, below its header.
	body := func(s string) string { return s[strings.Index(s, "name: tagguard"):strings.Index(s, "  image: ")] }
	if body(got) != body(RenderActionYML()) {
		t.Error("the release action.yml differs from main's in more than the image")
	}
	for _, bad := range [][2]string{{"1.2", releaseDigest}, {"latest", releaseDigest}, {"1.2.3", "sha256:1234"}, {"1.2.3", "sha512:" + strings.Repeat("a", 128)}, {"1.2.3", "ghcr.io/x@" + releaseDigest}} {
		if _, err := RenderReleaseActionYML(bad[0], bad[1]); err == nil {
			t.Errorf("RenderReleaseActionYML(%q, %q) accepted", bad[0], bad[1])
		}
	}
	if v, _ := RenderReleaseActionYML("v1.2.3", releaseDigest); v != got {
		t.Error("v1.2.3 and 1.2.3 render differently")
	}
}
