// Package oci holds facts about OCI and Docker manifests that several
// commands read: pure functions of bytes and descriptors, no registry.
package oci

import (
	"bytes"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Annotations BuildKit (buildx) sets on an attestation manifest in an
// index: the entry is no platform anyone runs (its platform reads
// unknown/unknown), and it names the image it attests.
const (
	RefType             = "vnd.docker.reference.type"
	RefDigest           = "vnd.docker.reference.digest"
	AttestationManifest = "attestation-manifest"
)

// IsAttestation reports whether an index entry is a BuildKit attestation
// manifest: annotated as one, and of the platform unknown/unknown that no
// runtime selects. The annotation alone is anyone's to write: an entry a
// runtime could pull for a platform is an image, whatever it says of
// itself, and is judged as one.
func IsAttestation(d v1.Descriptor) bool {
	return d.Annotations[RefType] == AttestationManifest && d.Platform != nil &&
		d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

// InlineAttestations reads an index's BuildKit attestation entries: the
// digest of each image one attests. Bytes that are no index hold none.
func InlineAttestations(raw []byte) map[string]bool {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, m := range idx.Manifests {
		if IsAttestation(m) && m.Annotations[RefDigest] != "" {
			out[m.Annotations[RefDigest]] = true
		}
	}
	return out
}
