package restore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/report"

	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/regtest"
)

// BenchmarkRestore200 restores T=200 tags to U=10 distinct digests, all of
// them overwritten, through a registry that adds 20 ms to every request, at
// --jobs 8. The request budget: U GETs, T HEADs for the plan, one PUT per
// changed tag, T HEADs to verify.
func BenchmarkRestore200(b *testing.B) {
	srv := regtest.InProcess(b, regtest.WithLatency(20*time.Millisecond))
	var digests []string
	for u := range 10 {
		digests = append(digests, regtest.PushImage(b, srv.Ref(fmt.Sprintf("org/app:base-%d", u))).String())
	}
	other := srv.Ref("org/app:other")
	regtest.PushImage(b, other)
	var pins []string
	for i := range 200 {
		ref := srv.Ref(fmt.Sprintf("org/app:1.0.%d", i))
		pins = append(pins, ref+"@"+digests[i%10])
	}
	for b.Loop() {
		b.StopTimer()
		for i := range 200 {
			regtest.Tag(b, other, srv.Ref(fmt.Sprintf("org/app:1.0.%d", i)))
		}
		c, err := registry.New(registry.Config{Jobs: 8})
		if err != nil {
			b.Fatal(err)
		}
		srv.ResetCounts()
		b.StartTimer()
		start := time.Now()
		r, err := report.Run(context.Background(), NewPlan, Options{Pins: pins, Registry: c, Run: command.Run{Jobs: 8}}, false)
		if err != nil || len(r.Outputs.Changed) != 200 {
			b.Fatalf("%v: %s", err, r.Summary)
		}
		wall := time.Since(start)
		counts := srv.Counts()
		b.ReportMetric(float64(counts.ManifestGet), "GETs")
		b.ReportMetric(float64(counts.ManifestHead), "HEADs")
		b.ReportMetric(float64(counts.ManifestPut), "PUTs")
		b.ReportMetric(float64(counts.Ping+counts.Token), "auth")
		b.ReportMetric(wall.Seconds(), "wall-s")
	}
}
