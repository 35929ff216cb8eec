package action

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/regtest"
)

// TestTenThousandRefsFromAFile: a monorepo's matrix writes 10,000 refs
// to a file in the workspace, more than one input (an environment
// variable, 128 KiB at most) can carry; the action reads them through
// images-file and checks them all.
func TestTenThousandRefsFromAFile(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	dir := t.TempDir()
	var b strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&b, "%s/org/r%d:build-%d\n", srv.Host, i%100, i)
	}
	if b.Len() <= 128<<10 {
		t.Fatalf("the list is %d bytes: it would fit in one input, and prove nothing", b.Len())
	}
	list := filepath.Join(dir, "images.txt")
	if err := os.WriteFile(list, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"INPUT_MODE":          "check",
		"INPUT_IMAGES-FILE":   list,
		"INPUT_FORMAT":        "json",
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"GITHUB_REPOSITORY":   "org/app",
		"GITHUB_WORKSPACE":    dir,
		"RUNNER_TEMP":         dir,
		"DOCKER_CONFIG":       dir,
	}
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), &stdout, &stderr, func(k string) string { return env[k] }); code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, stderr.String())
	}
	if n := srv.Counts().ManifestHead; n != 10000 {
		t.Errorf("%d manifest HEADs for 10,000 refs", n)
	}
}
