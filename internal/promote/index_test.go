package promote

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestPromoteSeveralSourcesIsOneDeterministicIndex: per-platform sources
// become one OCI index, one entry per platform in a fixed order: the same
// sources in any order give the same digest; a dry run writes nothing; two
// sources for one platform are bad input.
func TestPromoteSeveralSourcesIsOneDeterministicIndex(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t)
	repo := reg.Host + "/org/app"
	amd, arm, armv7 := pushByDigest(t, repo, "linux/amd64"), pushByDigest(t, repo, "linux/arm64"), pushByDigest(t, repo, "linux/arm/v7")
	ctx := context.Background()
	plan := func(sources ...string) *Plan {
		t.Helper()
		p, err := NewPlan(ctx, Options{Sources: sources, Images: []string{reg.Ref("org/app:1.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := plan(amd, arm, armv7), plan(armv7, amd, arm)
	if a.published.Digest != b.published.Digest || !bytes.Equal(a.published.Raw, b.published.Raw) {
		t.Fatalf("the same sources in another order gave %s and %s", a.published.Digest, b.published.Digest)
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(a.published.Raw))
	if err != nil || idx.MediaType != types.OCIImageIndex || len(idx.Manifests) != 3 {
		t.Fatalf("index %v %+v", err, idx)
	}
	var order []string
	for _, d := range idx.Manifests {
		order = append(order, d.Platform.String())
		if d.MediaType != types.OCIManifestSchema1 || d.Size == 0 {
			t.Errorf("entry %+v", d)
		}
	}
	if strings.Join(order, ",") != "linux/amd64,linux/arm/v7,linux/arm64" {
		t.Errorf("entries in order %v", order)
	}
	// The dry run (the plan) wrote nothing: the index is not in the registry.
	if _, err := remote.Head(mustDigest(t, repo+"@"+a.published.Digest.String())); err == nil {
		t.Error("the plan wrote the index")
	}
	r, err := a.Apply(ctx)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if d, _ := regtest.Raw(t, reg.Ref("org/app:1.0.0")); d != a.published.Digest.String() || !r.Published.Built || len(r.Published.Platforms) != 3 {
		t.Errorf("1.0.0 at %s, report %+v", d, r.Published)
	}

	other := pushByDigest(t, repo, "linux/amd64")
	_, err = NewPlan(ctx, Options{Sources: []string{amd, other}, Images: []string{reg.Ref("org/app:1.0.1")}, Registry: fixture.Client(t)})
	if errkind.Of(err) != errkind.BadInput || !strings.Contains(err.Error(), "two sources for platform linux/amd64") {
		t.Errorf("two sources for one platform: %v", err)
	}
}

// TestIndexSourceContributesItsEntries: a source that is itself an index
// (with a buildx attestation manifest) contributes its entries; the
// attestation keeps its annotations and sits right after its image.
func TestIndexSourceContributesItsEntries(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	repo := srv.Host + "/org/app"
	ref, imgDigest, _ := pushBuildxIndex(t, repo)
	arm := pushByDigest(t, repo, "linux/arm64")
	p, err := NewPlan(context.Background(), Options{Sources: []string{arm, ref.String()}, Images: []string{srv.Ref("org/app:2.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 2}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := v1.ParseIndexManifest(bytes.NewReader(p.published.Raw))
	if len(got.Manifests) != 3 {
		t.Fatalf("entries %+v", got.Manifests)
	}
	if got.Manifests[0].Digest != imgDigest || got.Manifests[1].Annotations["vnd.docker.reference.digest"] != imgDigest.String() || got.Manifests[2].Platform.Architecture != "arm64" {
		t.Errorf("order %+v: want amd64, its attestation, arm64", got.Manifests)
	}
}

func mustDigest(t *testing.T, s string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPromoteRecordsInlineAttestationsAsRecordDoes: an index source with a
// buildx attestation manifest, promoted with --referrers: the ledger
// promote writes counts the platform image attested (inline BuildKit), as
// record of the same tag does; it recorded {} before.
func TestPromoteRecordsInlineAttestationsAsRecordDoes(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	repo := srv.Host + "/org/app"
	ref, _, _ := pushBuildxIndex(t, repo)
	r, err := report.Run(context.Background(), NewPlan, Options{Sources: []string{ref.String()}, Images: []string{srv.Ref("org/app:3.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 2}, Referrers: true}, false)
	if err != nil {
		t.Fatalf("%v\n%+v", err, r)
	}
	if r.Record == nil || len(r.Record.Images) != 1 || len(r.Record.Images[0].Platforms) != 1 {
		t.Fatalf("record %+v", r.Record)
	}
	if got := oci.FromRecord(r.Record.Images[0].Platforms[0].Attached).String(); got != "attested (inline BuildKit)" {
		t.Errorf("the ledger's linux/amd64: %q; want attested (inline BuildKit), as record says", got)
	}
}

// TestMarkedAttestationsWithoutPlatformMerge: two source indexes whose
// BuildKit attestation entries lost their platform (as some copy tools
// leave them) merge as before: the mark decides the layout of a merged
// index; only the signature gate asks whether a runtime could pull it.
func TestMarkedAttestationsWithoutPlatformMerge(t *testing.T) {
	h := func(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }
	idx := func(img, att, arch string) source {
		raw := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + img + `","size":1,"platform":{"os":"linux","architecture":"` + arch + `"}},
{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + att + `","size":1,
 "annotations":{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"` + img + `"}}]}`)
		d, _ := v1.NewHash(h('f'))
		return source{m: registry.Manifest{Descriptor: registry.Descriptor{Digest: d, MediaType: types.OCIImageIndex}, Raw: raw}}
	}
	if _, err := buildIndex([]source{idx(h('1'), h('2'), "amd64"), idx(h('3'), h('4'), "arm64")}); err != nil {
		t.Fatalf("buildIndex: %v", err)
	}
}
