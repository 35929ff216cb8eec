package check

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

// BenchmarkCheck500 checks 500 refs of one repository (half of them present)
// plus latest against a registry that adds 20 ms to every request, at
// --jobs 8. The ideal is 500/8 × 20 ms = 1.25 s.
func BenchmarkCheck500(b *testing.B) {
	srv := regtest.InProcess(b, regtest.WithLatency(20*time.Millisecond))
	regtest.PushImage(b, srv.Ref("org/app:0.0.0"))
	var images []string
	for i := range 500 {
		images = append(images, srv.Ref(fmt.Sprintf("org/app:1.0.%d", i)))
		if i%2 == 0 {
			regtest.Tag(b, srv.Ref("org/app:0.0.0"), images[i])
		}
	}
	images = append(images, srv.Ref("org/app:latest"))
	b.ResetTimer()
	for b.Loop() {
		srv.ResetCounts()
		c, err := registry.New(registry.Config{Jobs: 8})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		r, err := report.Run(context.Background(), NewPlan, Options{Images: images, Registry: c, Run: command.Run{Jobs: 8}, Guards: Guards{Version: "1.0.499"}}, false)
		if err != nil {
			b.Fatal(err)
		}
		if !r.Blocked {
			b.Fatal("expected existing version tags to block")
		}
		counts := srv.Counts()
		b.ReportMetric(float64(counts.Total())/float64(len(images)), "requests/ref")
		b.ReportMetric(float64(counts.ManifestHead), "HEADs")
		b.ReportMetric(float64(counts.TagsList), "tag-lists")
		b.ReportMetric(float64(counts.Ping), "pings")
		b.ReportMetric(time.Since(start).Seconds(), "wall-s")
	}
}
