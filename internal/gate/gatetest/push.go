package gatetest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SimpleSigning is cosign's payload for subject.
func SimpleSigning(subject name.Digest) []byte {
	b, _ := json.Marshal(map[string]any{
		"critical": map[string]any{
			"identity": map[string]string{"docker-reference": subject.Context().Name()},
			"image":    map[string]string{"docker-manifest-digest": subject.DigestStr()},
			"type":     "cosign container image signature",
		},
		"optional": nil,
	})
	return b
}

// Layer is one legacy signature: the payload and its annotations.
type Layer struct {
	Payload     []byte
	Annotations map[string]string
}

// PushLegacy writes the .sig image for subject holding layers, at its
// tag (sha256-<hex>.sig), as cosign does; it returns its digest.
func PushLegacy(t testing.TB, subject name.Digest, layers ...Layer) v1.Hash {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	for _, l := range layers {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:       static.NewLayer(l.Payload, "application/vnd.dev.cosign.simplesigning.v1+json"),
			Annotations: l.Annotations,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	tag := subject.Context().Tag(strings.Replace(subject.DigestStr(), ":", "-", 1) + ".sig")
	if err := remote.Write(tag, img); err != nil {
		t.Fatalf("pushing %s: %v", tag, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// PushBundle attaches bundle to subject as cosign v3 does: an OCI 1.1
// artifact of the bundle's type, the bundle its one layer, annotated with
// its predicate type. It returns the referrer's digest.
func PushBundle(t testing.TB, subject name.Digest, bundleJSON []byte, predicateType string) v1.Hash {
	t.Helper()
	const bt = "application/vnd.dev.sigstore.bundle.v0.3+json"
	desc, err := remote.Head(subject)
	if err != nil {
		t.Fatal(err)
	}
	layer := static.NewLayer(bundleJSON, bt)
	cfg := static.NewLayer([]byte("{}"), "application/vnd.oci.empty.v1+json")
	for _, l := range []v1.Layer{layer, cfg} {
		if err := remote.WriteLayer(subject.Context(), l); err != nil {
			t.Fatal(err)
		}
	}
	ld, _ := layer.Digest()
	raw, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIManifestSchema1,
		"artifactType":  bt,
		"config":        map[string]any{"mediaType": "application/vnd.oci.empty.v1+json", "size": 2, "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
		"layers":        []any{map[string]any{"mediaType": bt, "size": len(bundleJSON), "digest": ld.String()}},
		"annotations":   map[string]string{"dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": predicateType},
		"subject":       map[string]any{"mediaType": desc.MediaType, "size": desc.Size, "digest": desc.Digest.String()},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(subject.Context().Digest(d.String()), rawManifest{raw}); err != nil {
		t.Fatalf("pushing a bundle for %s: %v", subject, err)
	}
	return d
}

// rawManifest is a manifest's exact bytes, for remote.Put.
type rawManifest struct{ raw []byte }

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
