package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/tagguard/tagguard/internal/oci"
	stack "github.com/tagguard/tagguard/internal/registry/transport"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tagguard/tagguard/internal/errkind"
)

// Manifest is a manifest's raw bytes with the media type it was served as.
type Manifest struct {
	Descriptor
	Raw []byte
}

// Manifest GETs ref's manifest, byte for byte, and hashes it itself:
// go-containerregistry trusts Docker-Content-Digest for Docker schema1 and
// never compares it with the body on a read by tag. A body that does not
// hash to the digest asked for (by digest) or announced (by tag) is
// refused, and so is every schema1 manifest: it cannot be restored
// faithfully.
func (c *Client) Manifest(ctx context.Context, ref name.Reference) (Manifest, error) {
	ref = c.homeRef(ref)
	if dg, ok := ref.(name.Digest); ok {
		if m, ok := c.read.get(dg.Context(), dg.DigestStr()); ok && m.mt != "" {
			h, _ := v1.NewHash(dg.DigestStr())
			return Manifest{Descriptor: Descriptor{Digest: h, MediaType: m.mt, Size: int64(len(m.raw))}, Raw: m.raw}, nil
		}
	}
	actx, seen := stack.WithAnnounced(ctx)
	d, err := c.puller.Get(actx, ref)
	if errors.Is(err, errTooLarge) {
		return Manifest{}, tooLarge(ref)
	}
	if err != nil && strings.Contains(err.Error(), "does not match requested digest") {
		return Manifest{}, errkind.Remotef("fetching manifest of %s: the registry served bytes that do not hash to the digest asked for: refused (a registry or proxy that lies about content)", ref)
	}
	if err != nil {
		return Manifest{}, c.classify(ref, "fetching manifest of", err)
	}
	sum := sha256.Sum256(d.Manifest)
	got := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	if dg, ok := ref.(name.Digest); ok && dg.DigestStr() != got.String() {
		return Manifest{}, errkind.Remotef("fetching manifest of %s: the registry served bytes that hash to %s, not the digest asked for: refused (a registry or proxy that lies about content)", ref, got)
	}
	if a := seen.Digest(); a != "" && a != got.String() {
		return Manifest{}, errkind.Remotef("fetching manifest of %s: the registry announced %s but served bytes that hash to %s: refused (a registry or proxy that lies about content)", ref, a, got)
	}
	if err := vet(ref, d.MediaType, d.Manifest); err != nil {
		return Manifest{}, err
	}
	c.read.put(ref.Context(), got.String(), d.MediaType, d.Manifest)
	return Manifest{Descriptor: Descriptor{Digest: got, MediaType: d.MediaType, Size: int64(len(d.Manifest))}, Raw: d.Manifest}, nil
}

// errTooLarge is what the transport answers for a manifest over
// oci.MaxManifest, before reading it whole.
var errTooLarge = errors.New("manifest too large")

func tooLarge(ref name.Reference) error {
	return errkind.BadInputf("fetching manifest of %s: it is larger than %d MiB: refused (no real image or index is; a registry or push gone wrong)", ref, oci.MaxManifest>>20)
}

// vet refuses Docker schema1 manifests, by media type or by body, and
// manifests with absurd layer or entry counts.
func vet(ref name.Reference, mt types.MediaType, raw []byte) error {
	v := oci.ShapeOf(raw)
	switch {
	case mt.IsSchema1() || v.SchemaVersion == 1:
		return errkind.Remotef("fetching manifest of %s: schema1 manifests are not supported: they cannot be restored faithfully; re-push the image as OCI or Docker schema2", ref)
	case v.Layers > oci.MaxLayers:
		return errkind.BadInputf("manifest of %s has %d layers, more than the %d tagguard accepts: refused before any copy (no runnable image has that many)", ref, v.Layers, oci.MaxLayers)
	case v.Manifests > oci.MaxChildren:
		return errkind.BadInputf("index %s names %d manifests, more than the %d tagguard accepts: refused before any copy", ref, v.Manifests, oci.MaxChildren)
	}
	return nil
}
