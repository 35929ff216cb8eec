package promote

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/registry"
)

// Annotations buildx sets on an attestation manifest: it is no platform
// anyone runs, and names the image it attests.
const (
	refType      = "vnd.docker.reference.type"
	refDigest    = "vnd.docker.reference.digest"
	attestation  = "attestation-manifest"
	unknownOSArc = "unknown/unknown"
)

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
			idx, err := v1.ParseIndexManifest(bytes.NewReader(s.m.Raw))
			if err != nil {
				return registry.Manifest{}, errkind.Remotef("reading index %s: %v", s.ref, err)
			}
			entries = append(entries, idx.Manifests...)
		default:
			entries = append(entries, v1.Descriptor{MediaType: s.m.MediaType, Digest: s.m.Digest, Size: int64(len(s.m.Raw)), Platform: s.platform})
		}
	}
	owner := map[string]string{} // platform → the digest that has it
	for _, e := range entries {
		if isAttestation(e) {
			continue
		}
		if e.Platform == nil {
			return registry.Manifest{}, errkind.BadInputf("manifest %s names no platform: it cannot join an index", e.Digest)
		}
		p := e.Platform.String()
		if prev, ok := owner[p]; ok && prev != e.Digest.String() {
			return registry.Manifest{}, errkind.BadInputf("two sources for platform %s: %s and %s; give one source per platform", p, prev, e.Digest)
		}
		owner[p] = e.Digest.String()
	}
	entries = dedupe(entries)
	slices.SortStableFunc(entries, func(a, b v1.Descriptor) int {
		return cmp.Compare(sortKey(a, entries), sortKey(b, entries))
	})
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

func isAttestation(d v1.Descriptor) bool { return d.Annotations[refType] == attestation }

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
	if isAttestation(d) {
		for _, e := range all {
			if e.Digest.String() == d.Annotations[refDigest] && !isAttestation(e) {
				return sortKey(e, all) + "\x01" + d.Digest.String()
			}
		}
		return "\xff" + unknownOSArc + "\x00" + d.Digest.String()
	}
	p := d.Platform
	return p.OS + "\x00" + p.Architecture + "\x00" + p.Variant + "\x00" + p.OSVersion + "\x00" + d.Digest.String()
}
