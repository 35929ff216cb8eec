// Package oci holds facts about OCI and Docker manifests that several
// commands read: pure functions of bytes and descriptors, no registry.
// Where an index or manifest is parsed (manifest.go), BuildKit's entries
// (buildkit.go), and the model of what is attached to a digest and how an
// attachment is classified (attached.go).
package oci

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/tagguard/tagguard/internal/ledger"
)

// Annotations BuildKit (buildx) sets on an attestation manifest in an
// index: the entry is no platform anyone runs (its platform reads
// unknown/unknown), and it names the image it attests.
const (
	RefType             = "vnd.docker.reference.type"
	RefDigest           = "vnd.docker.reference.digest"
	AttestationManifest = "attestation-manifest"
)

// IsAttestation reports whether an index entry is marked as a BuildKit
// attestation manifest: how promote lays out a merged index and record
// lists platforms. The mark is anyone's to write: what must be verified
// is decided by Pullable.
func IsAttestation(d v1.Descriptor) bool { return d.Annotations[RefType] == AttestationManifest }

// Pullable reports whether a runtime could pull an index entry for some
// platform: every entry but a BuildKit attestation of the platform
// unknown/unknown, which no runtime selects. An entry marked as an
// attestation with a real platform, or none, is an image like any other
// (containerd and Docker select by platform and ignore the mark): the
// signature gate judges it.
func Pullable(d v1.Descriptor) bool {
	return !IsAttestation(d) || d.Platform == nil || d.Platform.OS != "unknown" || d.Platform.Architecture != "unknown"
}

// InlineAttestations reads an index's BuildKit attestation entries: the
// digest of each image one attests. Bytes that are no index hold none.
func InlineAttestations(raw []byte) map[string]bool {
	entries, err := Entries(raw)
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, m := range entries {
		if IsAttestation(m) && m.Annotations[RefDigest] != "" {
			out[m.Annotations[RefDigest]] = true
		}
	}
	return out
}

// Platforms lists an index's platforms as a ledger records them: every
// entry with a platform that is not a BuildKit attestation (buildx adds
// those as unknown/unknown entries, which no one runs).
func Platforms(raw []byte) ([]ledger.Platform, error) {
	entries, err := Entries(raw)
	if err != nil {
		return nil, err
	}
	var out []ledger.Platform
	for _, d := range entries {
		if IsAttestation(d) || d.Platform == nil {
			continue
		}
		out = append(out, ledger.Platform{Platform: d.Platform.String(), Digest: d.Digest.String()})
	}
	return out, nil
}
