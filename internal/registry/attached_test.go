package registry

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/regtest"
)

// TestAttachmentsWhereverTheyLive is issue 19 item 1: what is attached to
// a digest, by kind and by where it was found — cosign's legacy tags, the
// referrers API (the in-process registry with it on), the referrers
// fallback tag (the distribution registry, which has no API) — with one
// referrers request and three legacy HEADs.
func TestAttachmentsWhereverTheyLive(t *testing.T) {
	t.Parallel()
	api := regtest.InProcess(t, regtest.WithReferrers())
	dist := regtest.Distribution(t)
	for name, host := range map[string]struct {
		ref   func(string) string
		where string
	}{
		"referrers API": {api.Ref, ReferrersAPI},
		"fallback tag":  {dist.Ref, FallbackTag},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := regtest.PushImage(t, host.ref("org/app:1.0.0"))
			subject := host.ref("org/app@" + d.String())
			c, err := New(Config{})
			if err != nil {
				t.Fatal(err)
			}
			dg := digestRef(t, host.ref("org/app"), d.String())
			got, err := c.Attachments(context.Background(), dg)
			if err != nil || !got.Empty() || got.String() != "nothing attached" {
				t.Fatalf("a bare image: %+v, %v", got, err)
			}
			regtest.SignLegacy(t, subject, ".sig")
			regtest.Refer(t, subject, regtest.InToto)
			regtest.Refer(t, subject, regtest.SPDX)
			regtest.Refer(t, subject, regtest.CosignSignature)
			got, err = c.Attachments(context.Background(), dg)
			if err != nil {
				t.Fatal(err)
			}
			want := Attached{Signatures: []string{LegacyTag, host.where}, Attestations: []string{host.where}, SBOMs: []string{host.where}}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Attached{}, "Manifests"), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("attached (-want +got):\n%s", diff)
			}
			if len(got.Manifests) != 4 {
				t.Errorf("%d attached manifests, want 4 (3 referrers, 1 legacy tag)", len(got.Manifests))
			}
		})
	}
}

// BenchmarkAttachments reports the requests one digest's attachments cost:
// one referrers request (the API, or its 404 and the fallback tag's GET)
// and three legacy-tag HEADs, at 20 ms latency.
func BenchmarkAttachments(b *testing.B) {
	for kind, opts := range map[string][]regtest.Option{
		"referrers-API": {regtest.WithLatency(20 * time.Millisecond), regtest.WithReferrers()},
		"fallback-tag":  {regtest.WithLatency(20 * time.Millisecond)},
	} {
		b.Run(kind, func(b *testing.B) {
			srv := regtest.InProcess(b, opts...)
			d := regtest.PushImage(b, srv.Ref("org/app:1.0.0"))
			regtest.SignLegacy(b, srv.Ref("org/app@"+d.String()), ".sig")
			regtest.Refer(b, srv.Ref("org/app@"+d.String()), regtest.InToto)
			c, _ := New(Config{})
			ref, _ := name.NewDigest(srv.Ref("org/app@" + d.String()))
			if _, err := c.Attachments(context.Background(), ref); err != nil { // the ping and tokens once
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				srv.ResetCounts()
				if _, err := c.Attachments(context.Background(), ref); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(srv.Counts().Total()), "requests/digest")
			}
		})
	}
}
