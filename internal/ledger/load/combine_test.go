package load

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/ledger"
)

func ledgerFile(t *testing.T, dir, name string, created time.Time, images ...ledger.Image) string {
	t.Helper()
	b, err := (&ledger.Ledger{Schema: ledger.Schema, Created: created, Images: images}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCombine: a release of several images has a ledger each; restore and
// pin take them all. A ref two of them record is the newest record's; two
// records as new as each other that disagree are refused.
func TestCombine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := func(c string) string { return "sha256:" + strings.Repeat(c, 64) }
	day := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	app := ledgerFile(t, dir, "app.json", day, ledger.Image{Ref: "ghcr.io/org/app:1.0.0", Digest: d("a")}, ledger.Image{Ref: "ghcr.io/org/app:latest", Digest: d("a")})
	worker := ledgerFile(t, dir, "worker.json", day.Add(time.Hour), ledger.Image{Ref: "ghcr.io/org/worker:1.0.0", Digest: d("b")}, ledger.Image{Ref: "ghcr.io/org/app:latest", Digest: d("c")})
	got, err := Combine(context.Background(), Sources{Files: []string{app, worker}})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]ledger.Image{}
	for _, im := range got.Ledger.Images {
		by[im.Ref] = im
	}
	if len(by) != 3 || by["ghcr.io/org/app:latest"].Digest != d("c") || !strings.Contains(by["ghcr.io/org/app:1.0.0"].RecordedIn, "app.json") || !strings.HasPrefix(got.From, "2 ledgers") {
		t.Errorf("combined: %s, %+v", got.From, got.Ledger.Images)
	}
	clash := ledgerFile(t, dir, "clash.json", day, ledger.Image{Ref: "ghcr.io/org/app:latest", Digest: d("e")})
	if _, err := Combine(context.Background(), Sources{Files: []string{app, clash}}); errkind.Of(err) != errkind.BadInput || !strings.Contains(err.Error(), "neither is newer") {
		t.Errorf("two records as new as each other that disagree: %v", err)
	}
	// A version tag at two digests was published twice: no date decides.
	twice := ledgerFile(t, dir, "twice.json", day.Add(48*time.Hour), ledger.Image{Ref: "ghcr.io/org/app:1.0.0", Digest: d("f")})
	if _, err := Combine(context.Background(), Sources{Files: []string{app, twice}}); errkind.Of(err) != errkind.Blocked || !strings.Contains(err.Error(), "a version is published once") {
		t.Errorf("a version recorded at two digests: %v", err)
	}
}
