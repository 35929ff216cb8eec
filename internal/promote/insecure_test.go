package promote

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/regtest"
	"github.com/tagguard/tagguard/internal/report"
)

// TestNamedPlainHTTPRegistry: a plain-HTTP registry named by a host name
// (reg.internal:PORT in --insecure-registry), not loopback. promote parses
// its sources without the client's options; the client decides http or
// https per host when it sends, so the named host is spoken to over plain
// HTTP whichever code parsed the reference. (Loopback is always plain
// HTTP, which hid this: the test's own resolver sends reg.internal to
// 127.0.0.1.)
func TestNamedPlainHTTPRegistry(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	_, port, _ := net.SplitHostPort(srv.Host)
	named := "reg.internal:" + port
	src := pushByDigest(t, srv.Host+"/ci/app", "linux/amd64")
	c, err := registry.New(registry.Config{Insecure: []string{named}, Transport: regtest.ResolveTo(named, srv.Host), Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Sources: []string{strings.Replace(src, srv.Host, named, 1)}, Images: []string{named + "/org/app:1.0.0"}, Registry: c, Run: command.Run{Jobs: 2}}
	r, err := report.Run(context.Background(), NewPlan, o, false)
	if err != nil {
		t.Fatalf("promote on a named plain-HTTP registry: %v", err)
	}
	if r.Targets[0].State != Written {
		t.Errorf("target: %+v", r.Targets[0])
	}
}
