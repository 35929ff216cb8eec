package promote

import (
	"context"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/regtest"
	"github.com/tagguard/tagguard/internal/report"
)

// TestInterruptMidCopy: SIGINT while a blob streams across registries is an
// interruption (exit 130, no tag written), not a failure, and the upload
// session left open on the target is closed with a DELETE of its location.
func TestInterruptMidCopy(t *testing.T) {
	t.Parallel()
	build := regtest.Distribution(t)
	held := make(chan string, 1)
	target := regtest.FaultProxy(t, regtest.Distribution(t).URL, regtest.HoldUntilGone(regtest.KindBlob, "PATCH", held))
	src := pushByDigest(t, build.Host+"/ci/app", "linux/amd64")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-held
		cancel()
	}()
	o := Options{Sources: []string{src}, Images: []string{target.Ref("org/app:1.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 1}}
	r, err := report.Run(ctx, NewPlan, o, false)
	if errkind.Of(err) != errkind.Interrupted {
		t.Fatalf("promote interrupted mid-copy: %v (exit %d), want 130", err, errkind.ExitCode(err))
	}
	if r == nil || !strings.HasPrefix(r.Summary, "INTERRUPTED: ") || r.Targets[0].State != Skipped {
		t.Errorf("report: %+v", r)
	}
	// Every session the interruption cut short (each blob streams at
	// once) is closed.
	patched, deleted := map[string]bool{}, map[string]bool{}
	for _, req := range target.Requests() {
		method, path, _ := strings.Cut(req, " ")
		switch {
		case method == "PATCH":
			patched[path] = true
		case method == "DELETE" && strings.Contains(path, "/blobs/uploads/"):
			deleted[path] = true
		case method == "PUT" && strings.Contains(path, "/manifests/"):
			t.Errorf("a manifest was written after the interruption: %s", req)
		}
	}
	// Every session cut short mid-PATCH is closed (a session whose PATCH
	// never left, since the run had ended, is closed too).
	closed := len(patched) > 0
	for s := range patched {
		closed = closed && deleted[s]
	}
	if !closed {
		t.Errorf("upload sessions cut short: %v; cancelled: %v\n%s", patched, deleted, strings.Join(target.Requests(), "\n"))
	}
}
