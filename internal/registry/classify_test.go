package registry

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestListedReferrerAboutAnotherDigestIsNotCounted: someone with push
// rights writes the fallback tag of a digest whose signature was deleted,
// listing, typed as a signature, the image itself (no subject; once as an
// OCI 1.1-rc artifact manifest) and a real signature of another image. Neither makes the digest signed; both are
// named, and neither would be copied.
func TestListedReferrerAboutAnotherDigestIsNotCounted(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t)
	d := regtest.PushImage(t, reg.Ref("org/app:1.0.0"))
	other := regtest.PushImage(t, reg.Ref("org/app:0.9.0"))
	otherSig := regtest.Refer(t, reg.Ref("org/app@"+other.String()), regtest.CosignSignature)
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	dg := digestRef(t, reg.Ref("org/app"), d.String())
	self, err := c.Resolve(context.Background(), dg)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := c.Resolve(context.Background(), digestRef(t, reg.Ref("org/app"), otherSig.String()))
	if err != nil {
		t.Fatal(err)
	}
	forged := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{
		{MediaType: self.MediaType, Digest: self.Digest, Size: self.Size, ArtifactType: regtest.CosignSignature},
		{MediaType: sig.MediaType, Digest: sig.Digest, Size: sig.Size, ArtifactType: regtest.CosignSignature},
		// The OCI 1.1-rc artifact manifest type was once counted from the
		// listing alone: the image itself, listed under it, must not be.
		{MediaType: "application/vnd.oci.artifact.manifest.v1+json", Digest: self.Digest, Size: self.Size, ArtifactType: regtest.CosignSignature},
	}}
	raw, err := json.Marshal(forged)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(reg.Ref("org/app:" + strings.Replace(d.String(), ":", "-", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(tag, rawIndex(raw)); err != nil {
		t.Fatal(err)
	}
	got, err := c.Attachments(context.Background(), dg)
	if err != nil {
		t.Fatal(err)
	}
	want := oci.Attached{Foreign: []string{d.String(), d.String(), otherSig.String()}}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("attached (-want +got):\n%s", diff)
	}
	if s := got.String(); !strings.HasPrefix(s, "nothing attached; 3 listed but about another digest") {
		t.Errorf("String() = %q", s)
	}
}

// rawIndex is an index PUT byte for byte, as a hand-written one would be.
type rawIndex []byte

func (r rawIndex) RawManifest() ([]byte, error)        { return r, nil }
func (r rawIndex) MediaType() (types.MediaType, error) { return types.OCIImageIndex, nil }

// TestCarriedSignaturesMergeIntoTheTargetsOwn: the target already holds
// the digest with its own cosign signature at the legacy .sig tag. The
// source's signature is merged into that manifest (cosign keeps every
// signature of a digest in one), never PUT over it; a second carry writes
// nothing.
func TestCarriedSignaturesMergeIntoTheTargetsOwn(t *testing.T) {
	t.Parallel()
	build, target := regtest.Distribution(t), regtest.Distribution(t)
	c, src, dst := copiedAcross(t, build, target)
	d, _ := v1.NewHash(src.DigestStr())
	theirs := regtest.SignLegacy(t, target.Ref("org/app@"+d.String()), ".sig")
	ours := regtest.SignLegacy(t, build.Ref("ci/app@"+d.String()), ".sig")
	a, err := c.Attachments(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.CopyAttached(context.Background(), a, dst); err != nil {
		t.Fatal(err)
	}
	layers := func(ref string) []v1.Hash {
		img, err := remote.Image(mustTag(t, ref))
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		var out []v1.Hash
		for _, l := range m.Layers {
			out = append(out, l.Digest)
		}
		return out
	}
	sigTag := "org/app:" + strings.Replace(d.String(), ":", "-", 1) + ".sig"
	got := layers(target.Ref(sigTag))
	want := append(layers(target.Ref("org/app@"+theirs.String())), layers(build.Ref("ci/app@"+ours.String()))...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the target's .sig layers (-want +got):\n%s", diff)
	}
	n, _, err := c.CopyAttached(context.Background(), a, dst)
	if err != nil || n != 0 {
		t.Errorf("a second carry: %d written, %v; want nothing", n, err)
	}
}

func mustTag(t *testing.T, ref string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMergeKeepsEachSignerOfOnePayload: every signer of a digest signs the
// same simple-signing payload, so cosign's .sig layers of two keys share
// a digest and differ in their signature annotation. The target holds
// key A's; the source holds key A's and key B's: the merge adds B's,
// which a merge by layer digest alone took for one the target had.
func TestMergeKeepsEachSignerOfOnePayload(t *testing.T) {
	t.Parallel()
	build, target := regtest.Distribution(t), regtest.Distribution(t)
	c, src, dst := copiedAcross(t, build, target)
	d, _ := v1.NewHash(src.DigestStr())
	payload := []byte(`{"critical":{"image":{"docker-manifest-digest":"` + d.String() + `"},"type":"cosign container image signature"}}`)
	sigImage := func(sigs ...string) v1.Image {
		img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		for _, s := range sigs {
			var err error
			img, err = mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(payload, "application/vnd.dev.cosign.simplesigning.v1+json"),
				Annotations: map[string]string{"dev.cosignproject.cosign/signature": s}})
			if err != nil {
				t.Fatal(err)
			}
		}
		return img
	}
	sigTag := strings.Replace(d.String(), ":", "-", 1) + ".sig"
	for _, w := range []struct {
		ref string
		img v1.Image
	}{{target.Ref("org/app:" + sigTag), sigImage("SIG-A")}, {build.Ref("ci/app:" + sigTag), sigImage("SIG-A", "SIG-B")}} {
		if err := remote.Write(mustTag(t, w.ref), w.img); err != nil {
			t.Fatal(err)
		}
	}
	a, err := c.Attachments(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.CopyAttached(context.Background(), a, dst); err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(mustTag(t, target.Ref("org/app:"+sigTag)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range m.Layers {
		got = append(got, l.Annotations["dev.cosignproject.cosign/signature"])
	}
	if diff := cmp.Diff([]string{"SIG-A", "SIG-B"}, got); diff != "" {
		t.Errorf("the target's signatures (-want +got):\n%s", diff)
	}
}

// copiedAcross pushes an image to build's ci/app and copies it to
// target's org/app, where a carry of what is attached would follow it.
func copiedAcross(t *testing.T, build, target *regtest.DistributionServer) (*Client, name.Digest, name.Repository) {
	t.Helper()
	d := regtest.PushImage(t, build.Ref("ci/app:b1"))
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	src := digestRef(t, build.Ref("ci/app"), d.String())
	dst, err := name.NewRepository(target.Ref("org/app"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Copy(context.Background(), src, dst); err != nil {
		t.Fatal(err)
	}
	return c, src, dst
}
