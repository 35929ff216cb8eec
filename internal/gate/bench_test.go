package gate_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/regtest"
)

// BenchmarkGate is the gate's cost per digest: one digest verified from
// a cold start (a new client and gate each time, as one run of one
// digest), with every request 20 ms away, for what cosign v2.6.5 (legacy
// .sig tag) and v3.1.3 (a bundle as a referrer, on a registry with the
// referrers API) signed. requests/op is what the registry served.
//
// With TAGGUARD_COSIGN2 and TAGGUARD_COSIGN3 naming cosign binaries,
// the same digests are verified by `cosign verify --key` beside it, one
// process per digest, against the same registry:
//
//	TAGGUARD_COSIGN2=/path/cosign-v2.6.5 TAGGUARD_COSIGN3=/path/cosign-v3.1.3 \
//	  go test ./internal/gate -run '^$' -bench Gate -benchtime 20x
func BenchmarkGate(b *testing.B) {
	pub := filepath.Join(regtest.Cosign(""), "cosign.pub")
	for _, tc := range []struct {
		name, fixture, cosign string
		extra                 []string
	}{
		{"legacy-sig", "v2.6.5-legacy", os.Getenv("TAGGUARD_COSIGN2"), nil},
		{"bundle-referrer", "v3.1.3", os.Getenv("TAGGUARD_COSIGN3"), nil},
	} {
		srv := regtest.InProcess(b, regtest.WithReferrers())
		repo, _ := name.NewRepository(srv.Host + "/bench/" + tc.name)
		d := regtest.PushLayout(b, regtest.Cosign(tc.fixture), repo)
		srv.SetLatency(20 * time.Millisecond)
		b.Run("tagguard/"+tc.name, func(b *testing.B) {
			srv.ResetCounts()
			for b.Loop() {
				c, err := registry.New(registry.Config{})
				if err != nil {
					b.Fatal(err)
				}
				g := gate.New(gate.Options{Keys: []string{pub}, IgnoreTlog: true}, c)
				if v := g.Check(context.Background(), d); !v.Passed() {
					b.Fatalf("%s", v)
				}
			}
			b.ReportMetric(float64(srv.Counts().Total())/float64(b.N), "requests/op")
		})
		if tc.cosign == "" {
			continue
		}
		b.Run("cosign/"+tc.name, func(b *testing.B) {
			srv.ResetCounts()
			home := b.TempDir()
			for b.Loop() {
				cmd := exec.Command(tc.cosign, append([]string{"verify", "--key", pub, "--insecure-ignore-tlog", "--allow-http-registry", d.String()}, tc.extra...)...)
				cmd.Env = append(os.Environ(), "HOME="+home, "SIGSTORE_NO_CACHE=1", "TUF_ROOT="+home)
				if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "critical") {
					b.Fatalf("cosign verify: %v\n%s", err, out)
				}
			}
			b.ReportMetric(float64(srv.Counts().Total())/float64(b.N), "requests/op")
		})
	}
}
