package pin

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/regtest"
	"github.com/tagguard/tagguard/internal/report"
)

// TestNamedPlainHTTPRegistry: pin parses its compose files' and ledger's
// references itself; a registry named by a host name in
// --insecure-registry (reg.internal:PORT, not loopback, which is always
// plain HTTP) is still spoken to over plain HTTP, for the --verify reads,
// --resolve's and the floating-tag check alike.
func TestNamedPlainHTTPRegistry(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	_, port, _ := net.SplitHostPort(srv.Host)
	named := "reg.internal:" + port
	app := regtest.PushImage(t, srv.Ref("org/app:1.2.3")).String()
	regtest.PushImage(t, srv.Ref("org/db:16"))
	dir := t.TempDir()
	l := &ledger.Ledger{Schema: ledger.Schema, Images: []ledger.Image{{Ref: named + "/org/app:1.2.3", Digest: app}}}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	lp := write("ledger.json", string(b))
	c, err := registry.New(registry.Config{Insecure: []string{named}, Transport: regtest.ResolveTo(named, srv.Host), Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	run := func(o Options) *Report {
		t.Helper()
		o.FromLedgers, o.Registry, o.Run = []string{lp}, c, command.Run{Jobs: 2}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r, err := report.Run(ctx, NewPlan, o, false)
		if err != nil {
			t.Fatalf("pin on a named plain-HTTP registry: %v", err)
		}
		return r
	}
	r := run(Options{Compose: []string{write("pinned.yml", "services:\n  web:\n    image: "+named+"/org/app:1.2.3@"+app+"\n")}, Verify: true})
	if len(r.Services) != 1 || r.Services[0].State != OK || r.Blocking() {
		t.Errorf("--verify: %+v", r.Services)
	}
	r = run(Options{Compose: []string{write("compose.yml", "services:\n  web:\n    image: "+named+"/org/app:1.2.3\n  db:\n    image: "+named+"/org/db:16\n")}, Resolve: true})
	states := map[string]State{}
	for _, s := range r.Services {
		states[s.Service] = s.State
	}
	if states["web"] != Pinned || states["db"] != Resolved {
		t.Errorf("--resolve: %v", states)
	}
}
