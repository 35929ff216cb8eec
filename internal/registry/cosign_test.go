package registry

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestCosignArtifactsAreReadRight: what the real cosign attached is read
// as what it is, on a registry with the referrers API and on one
// without: a bundle marked with cosign's sign predicate type is a
// signature and one with another predicate an attestation, whatever the
// listing says (cosign v2 lists both under the empty type); the legacy
// tags are what their suffix says.
func TestCosignArtifactsAreReadRight(t *testing.T) {
	t.Parallel()
	api, dist := regtest.InProcess(t, regtest.WithReferrers()), regtest.Distribution(t)
	for _, tc := range []struct {
		fixture string
		want    func(where string) oci.Attached
	}{
		{"v3.1.3", func(where string) oci.Attached {
			return oci.Attached{Signatures: []string{where}, Attestations: []string{where}}
		}},
		{"v2.6.5-legacy", func(string) oci.Attached {
			return oci.Attached{Signatures: []string{oci.LegacyTag}, Attestations: []string{oci.LegacyTag}}
		}},
		{"v2.6.5-new-bundle-format", func(where string) oci.Attached {
			return oci.Attached{Signatures: []string{where}, Attestations: []string{where}}
		}},
	} {
		for _, reg := range []struct {
			name, host, where string
		}{{"referrers API", api.Host, oci.ReferrersAPI}, {"fallback tag", dist.Host, oci.FallbackTag}} {
			t.Run(tc.fixture+"/"+reg.name, func(t *testing.T) {
				repo, err := name.NewRepository(reg.host + "/cosign/" + strings.ReplaceAll(tc.fixture, ".", "-"))
				if err != nil {
					t.Fatal(err)
				}
				d := regtest.PushLayout(t, regtest.Cosign(tc.fixture), repo)
				c, err := New(Config{})
				if err != nil {
					t.Fatal(err)
				}
				got, err := c.Attachments(context.Background(), d)
				if err != nil {
					t.Fatal(err)
				}
				got.Manifests = nil
				if diff := cmp.Diff(tc.want(reg.where), got); diff != "" {
					t.Errorf("attached (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestCosignArtifactsCarriedReadTheSame: what cosign attached, carried
// from a registry with the referrers API to one without, reads the same
// at the target as at the source, kind for kind; a second carry writes
// nothing.
func TestCosignArtifactsCarriedReadTheSame(t *testing.T) {
	t.Parallel()
	api, dist := regtest.InProcess(t, regtest.WithReferrers()), regtest.Distribution(t)
	for _, fixture := range []string{"v3.1.3", "v2.6.5-legacy", "v2.6.5-new-bundle-format"} {
		t.Run(fixture, func(t *testing.T) {
			path := "cosign/" + strings.ReplaceAll(fixture, ".", "-")
			src, err := name.NewRepository(api.Host + "/" + path)
			if err != nil {
				t.Fatal(err)
			}
			dst, err := name.NewRepository(dist.Host + "/carried/" + path)
			if err != nil {
				t.Fatal(err)
			}
			d := regtest.PushLayout(t, regtest.Cosign(fixture), src)
			c, err := New(Config{})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			at, err := c.Attachments(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Copy(ctx, d, dst); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.CopyAttached(ctx, at, dst); err != nil {
				t.Fatal(err)
			}
			got, err := New(Config{})
			if err != nil {
				t.Fatal(err)
			}
			there, err := got.Attachments(ctx, dst.Digest(d.DigestStr()))
			if err != nil {
				t.Fatal(err)
			}
			kinds := func(a oci.Attached) [3]int { return [3]int{len(a.Signatures), len(a.Attestations), len(a.SBOMs)} }
			if kinds(there) != kinds(at) || there.Empty() {
				t.Errorf("at the source %s, at the target %s: want the same kinds", at, there)
			}
			if n, _, err := c.CopyAttached(ctx, at, dst); err != nil || n != 0 {
				t.Errorf("a second carry: %d written, %v", n, err)
			}
		})
	}
}
