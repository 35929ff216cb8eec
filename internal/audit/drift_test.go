package audit

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
	"github.com/tagguard/tagguard/internal/report"
)

// TestDriftFileIsWrittenWhateverTheVerdict: --drift-file is audit's one
// write, made in Apply. It is there after drift (exit 1) and after an
// audit that could not read every ref (exit 3: the drift it found is
// still drift), and it is not there when no ledger could be read.
func TestDriftFileIsWrittenWhateverTheVerdict(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	recorded := regtest.PushImage(t, srv.Ref("org/app:1.0.0"))
	regtest.PushImage(t, srv.Ref("org/app:1.0.0")) // overwritten since
	kept := regtest.PushImage(t, srv.Ref("org/app:2.0.0"))
	proxy := regtest.FaultProxy(t, srv.URL, regtest.FailNth(regtest.KindManifestHead, 1, 500, "boom"), regtest.FailNth(regtest.KindManifestHead, 2, 500, "boom"))
	drifted := ledger.Image{Ref: srv.Ref("org/app:1.0.0"), Digest: recorded.String(), MediaType: imageType}
	unread := ledger.Image{Ref: proxy.Ref("org/app:2.0.0"), Digest: kept.String(), MediaType: imageType}
	failing := ghtest.New(t, ghtest.WithToken("t0ken"))
	failing.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Body: "x"})
	failing.FailNext(10, ghtest.ServerError(500))

	for _, tc := range []struct {
		name    string
		o       Options
		code    int
		written bool
		drift   int
	}{
		{name: "no drift", o: Options{FromLedgers: []string{writeLedger(t, day, ledger.Image{Ref: srv.Ref("org/app:2.0.0"), Digest: kept.String(), MediaType: imageType})}}, code: 0, written: true},
		{name: "drift", o: Options{FromLedgers: []string{writeLedger(t, day, drifted)}}, code: 1, written: true, drift: 1},
		{name: "drift, and a ref not read", o: Options{FromLedgers: []string{writeLedger(t, day, drifted, unread)}}, code: 3, written: true, drift: 1},
		{name: "no ledger read", o: Options{FromReleases: true, GitHub: fixture.GitHub(t, failing, "t0ken"), Run: command.Run{Event: event.Context{Repository: "org/app"}}}, code: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.DriftFile = filepath.Join(t.TempDir(), "drift.json")
			o.Registry, o.Jobs = fixture.Client(t, 2), 1
			r, err := report.Run(context.Background(), NewPlan, o, false)
			code := errkind.ExitCode(err)
			if err == nil && r != nil && report.Blocks(r) {
				code = 1
			}
			if code != tc.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tc.code)
			}
			b, rerr := os.ReadFile(o.DriftFile)
			if (rerr == nil) != tc.written {
				t.Fatalf("drift file written %v, want %v", rerr == nil, tc.written)
			}
			if !tc.written {
				if r != nil && r.DriftFile != "" {
					t.Errorf("the report names %s, which was not written", r.DriftFile)
				}
				return
			}
			l, err := ledger.Parse(b)
			if err != nil || len(l.Images) != tc.drift || r.DriftFile != o.DriftFile {
				t.Errorf("drift file %s: %v, %d images, want %d, named %q", b, err, len(l.Images), tc.drift, r.DriftFile)
			}
		})
	}
}
