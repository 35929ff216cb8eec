package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestAttachmentsWhereverTheyLive: what is attached to
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
		"referrers API": {api.Ref, oci.ReferrersAPI},
		"fallback tag":  {dist.Ref, oci.FallbackTag},
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
			want := oci.Attached{Signatures: []string{oci.LegacyTag, host.where}, Attestations: []string{host.where}, SBOMs: []string{host.where}}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(oci.Attached{}, "Manifests"), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
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
// and three legacy-tag HEADs, then a HEAD of the one referrer, at 20 ms
// latency.
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

// TestReferrerListedButGone: on a registry
// without the referrers API the fallback tag is an index nobody prunes, so
// an attestation deleted by digest stays listed. It must not count (audit
// would call the image attested), and a copy of the image must carry what
// is still there rather than fail on what is not.
func TestReferrerListedButGone(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t, regtest.WithDelete())
	d := regtest.PushImage(t, reg.Ref("org/app:1.0.0"))
	subject := reg.Ref("org/app@" + d.String())
	regtest.SignLegacy(t, subject, ".sig")
	att := regtest.Refer(t, subject, regtest.InToto)
	gone, err := name.NewDigest(reg.Ref("org/app@" + att.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Delete(gone); err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	dg := digestRef(t, reg.Ref("org/app"), d.String())
	got, err := c.Attachments(context.Background(), dg)
	if err != nil {
		t.Fatal(err)
	}
	want := oci.Attached{Signatures: []string{oci.LegacyTag}, Gone: []string{att.String()}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(oci.Attached{}, "Manifests")); diff != "" {
		t.Errorf("attached (-want +got):\n%s", diff)
	}
	if s := got.String(); !strings.Contains(s, "1 listed but gone ("+att.String()+")") || strings.Contains(s, "attested") {
		t.Errorf("String() = %q", s)
	}
	if lost := oci.Lost(oci.Attached{Signatures: []string{oci.LegacyTag}, Attestations: []string{oci.FallbackTag}}, got); lost != "attestations" {
		t.Errorf("Lost = %q, want attestations", lost)
	}
	dst, err := name.NewRepository(reg.Ref("rel/app"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Copy(context.Background(), dg, dst); err != nil {
		t.Fatal(err)
	}
	// A referrer read before it was deleted: skipped, not a failure.
	got.Manifests = append(got.Manifests, oci.Attachment{Digest: gone})
	n, skipped, err := c.CopyAttached(context.Background(), got, dst)
	if err != nil || n != 2 || len(skipped) != 1 || skipped[0] != att.String() {
		t.Fatalf("CopyAttached: %d written, %v skipped, %v; want 2 (the signature manifest and its legacy tag), the attestation skipped", n, skipped, err)
	}
}

// TestCopyAttachedTargetNotFoundIsAFailure: a 404 from the target during a
// referrer's copy (a registry that will not take it) is a failure to
// carry, never taken for a referrer deleted at the source (the review's F1).
func TestCopyAttachedTargetNotFoundIsAFailure(t *testing.T) {
	t.Parallel()
	src := regtest.InProcess(t, regtest.WithReferrers())
	d := regtest.PushImage(t, src.Ref("org/app:1.0.0"))
	regtest.Refer(t, src.Ref("org/app@"+d.String()), regtest.CosignSignature)
	up := regtest.InProcess(t, regtest.WithReferrers())
	target := regtest.FaultProxy(t, up.URL, regtest.FailManifestPut(2, 404, `{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}`))
	c, err := New(Config{Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	dg := digestRef(t, src.Ref("org/app"), d.String())
	a, err := c.Attachments(context.Background(), dg)
	if err != nil || len(a.Manifests) != 1 {
		t.Fatalf("attached: %+v, %v", a, err)
	}
	dst, _ := name.NewRepository(target.Ref("rel/app"))
	if _, err := c.Copy(context.Background(), dg, dst); err != nil {
		t.Fatal(err)
	}
	n, gone, err := c.CopyAttached(context.Background(), a, dst)
	if err == nil || len(gone) != 0 {
		t.Errorf("a target that answers 404 to the referrer: %d written, %v gone, %v; want an error", n, gone, err)
	}
}

// TestReferrersThatLie: a referrers API that lists a digest it does not
// hold, lists more than oci.MaxReferrers, or answers more than oci.MaxManifest
// bytes. The first is counted as gone; the others are refused with a
// message naming the digest, and nothing over the bound is read whole.
func TestReferrersThatLie(t *testing.T) {
	t.Parallel()
	up := regtest.InProcess(t, regtest.WithReferrers())
	target, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	var answer atomic.Value // func(http.ResponseWriter)
	fwd := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/referrers/") {
			w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
			answer.Load().(func(http.ResponseWriter))(w)
			return
		}
		fwd.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	d := regtest.PushImage(t, host+"/org/app:1.0.0")
	dg := digestRef(t, host+"/org/app", d.String())
	index := func(n int) string {
		entries := make([]string, n)
		for i := range entries {
			entries[i] = fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%064x","size":100,"artifactType":%q}`, i+1, regtest.CosignSignature)
		}
		return `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` + strings.Join(entries, ",") + `]}`
	}
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}

	answer.Store(func(w http.ResponseWriter) { io.WriteString(w, index(1)) })
	got, err := c.Attachments(context.Background(), dg)
	if err != nil || len(got.Signatures) != 0 || len(got.Gone) != 1 || len(got.Manifests) != 0 {
		t.Errorf("a listed digest the registry does not hold: %+v, %v; want it gone, not signed", got, err)
	}

	// An OCI 1.1-rc artifact manifest the registry does not hold is not
	// counted from the listing either (it once was: its subject went
	// unchecked).
	answer.Store(func(w http.ResponseWriter) {
		io.WriteString(w, strings.Replace(index(1), "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.artifact.manifest.v1+json", 1))
	})
	got, err = c.Attachments(context.Background(), dg)
	if err != nil || len(got.Signatures) != 0 || len(got.Gone) != 1 {
		t.Errorf("an artifact manifest listed: %+v, %v; want it gone, not signed", got, err)
	}

	answer.Store(func(w http.ResponseWriter) { io.WriteString(w, index(oci.MaxReferrers+1)) })
	if _, err := c.Attachments(context.Background(), dg); err == nil || !strings.Contains(err.Error(), "lists 1001 referrers") {
		t.Errorf("over MaxReferrers: %v", err)
	}

	answer.Store(func(w http.ResponseWriter) {
		io.WriteString(w, `{"schemaVersion":2,"manifests":[],"pad":"`+strings.Repeat("x", oci.MaxManifest)+`"}`)
	})
	if _, err := c.Attachments(context.Background(), dg); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a referrers body over oci.MaxManifest: %v", err)
	}
}
