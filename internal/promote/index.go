package promote

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/registry"
)

// unknownOSArc is the platform buildx gives an attestation manifest.
const unknownOSArc = "unknown/unknown"

// buildIndex merges several sources into one OCI image index: one entry
// per platform (an image's from its config; an index's entries as they
// are, attestation manifests with their annotations), in a fixed order, so
// the same sources in any order give the same bytes and the same digest.
// Two sources for one platform are bad input.
func buildIndex(ss []source) (registry.Manifest, error) {
	var entries []v1.Descriptor
	for _, s := range ss {
		switch {
		case s.m.MediaType.IsIndex():
			es, err := oci.Entries(s.m.Raw)
			if err != nil {
				return registry.Manifest{}, errkind.Remotef("reading index %s: %v", s.ref, err)
			}
			entries = append(entries, es...)
		default:
			entries = append(entries, v1.Descriptor{MediaType: s.m.MediaType, Digest: s.m.Digest, Size: int64(len(s.m.Raw)), Platform: s.platform})
		}
	}
	owner := map[string]string{}  // platform → the digest that has it
	claims := map[string]string{} // digest → the platform it is under
	for _, e := range entries {
		if oci.IsAttestation(e) {
			continue
		}
		if e.Platform == nil {
			return registry.Manifest{}, errkind.BadInputf("manifest %s names no platform: it cannot join an index", e.Digest)
		}
		p, d := e.Platform.String(), e.Digest.String()
		if prev, ok := owner[p]; ok && prev != d {
			return registry.Manifest{}, errkind.BadInputf("two sources for platform %s: %s and %s; give one source per platform", p, prev, d)
		}
		if prev, ok := claims[d]; ok && prev != p {
			return registry.Manifest{}, errkind.BadInputf("image %s is named as platform %s and as platform %s: one image has one platform; fix the source index that labels it wrongly", d, prev, p)
		}
		owner[p], claims[d] = d, p
	}
	// A total order before dropping repeats, so which copy of a repeated
	// entry is kept never depends on the order of the sources.
	type keyed struct {
		key string
		d   v1.Descriptor
	}
	ks := make([]keyed, len(entries))
	for i, e := range entries {
		b, _ := json.Marshal(e)
		ks[i] = keyed{sortKey(e, entries) + "\x00" + string(b), e}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	for i, k := range ks {
		entries[i] = k.d
	}
	entries = dedupe(entries)
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: entries}
	raw, err := json.Marshal(idx)
	if err != nil {
		return registry.Manifest{}, fmt.Errorf("encoding the index: %w", err)
	}
	h, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return registry.Manifest{}, err
	}
	return registry.Manifest{Descriptor: registry.Descriptor{Digest: h, MediaType: types.OCIImageIndex, Size: size}, Raw: raw}, nil
}

// dedupe drops an entry named twice (the same image in two sources).
func dedupe(es []v1.Descriptor) []v1.Descriptor {
	seen := map[string]bool{}
	var out []v1.Descriptor
	for _, e := range es {
		if !seen[e.Digest.String()] {
			seen[e.Digest.String()] = true
			out = append(out, e)
		}
	}
	return out
}

// sortKey orders images by platform, then digest; an attestation sorts
// right after the image it names.
func sortKey(d v1.Descriptor, all []v1.Descriptor) string {
	if oci.IsAttestation(d) {
		for _, e := range all {
			if e.Digest.String() == d.Annotations[oci.RefDigest] && !oci.IsAttestation(e) {
				return sortKey(e, all) + "\x01" + d.Digest.String()
			}
		}
		return "\xff" + unknownOSArc + "\x00" + d.Digest.String()
	}
	p := d.Platform
	return p.OS + "\x00" + p.Architecture + "\x00" + p.Variant + "\x00" + p.OSVersion + "\x00" + d.Digest.String()
}

// checkLabels reads the config of every image an index source names under
// a platform (one manifest GET and one config blob GET each, as for an
// image source) and refuses a label the config contradicts: merged as it
// is, such an index would send hosts of one platform another's image.
func checkLabels(ctx context.Context, reg Registry, index name.Digest, m registry.Manifest) error {
	entries, err := oci.Entries(m.Raw)
	if err != nil {
		return errkind.Remotef("reading index %s: %v", index, err)
	}
	for _, d := range entries {
		if oci.IsAttestation(d) || d.Platform == nil || !d.MediaType.IsImage() {
			continue
		}
		child := index.Context().Digest(d.Digest.String())
		cm, err := reg.Manifest(ctx, child)
		if err != nil {
			return err
		}
		p, err := reg.Platform(ctx, index.Context(), cm)
		if err != nil {
			return err
		}
		if !agrees(*d.Platform, *p) {
			return errkind.BadInputf("index %s labels image %s as %s, but the image's config says %s: refused (merged as it is, the index would send %s hosts a %s image); fix the source index",
				index.DigestStr(), d.Digest, d.Platform, p, d.Platform, p)
		}
	}
	return nil
}

// agrees reports whether an index's platform label fits an image's config:
// the same OS and architecture, and the same variant and OS version where
// both name one (buildx labels arm64 as v8 where a config may be silent).
func agrees(label, config v1.Platform) bool {
	same := func(a, b string) bool { return a == "" || b == "" || a == b }
	return label.OS == config.OS && label.Architecture == config.Architecture &&
		same(label.Variant, config.Variant) && same(label.OSVersion, config.OSVersion)
}
