package oci

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/ledger"
)

// Where an attachment was found.
const (
	LegacyTag    = "legacy tag"      // cosign before v3: sha256-<hex>.sig|.att|.sbom
	ReferrersAPI = "referrers API"   // OCI 1.1: GET /v2/<name>/referrers/<digest>
	FallbackTag  = "fallback tag"    // OCI 1.1 referrers tag schema: sha256-<hex>
	Inline       = "inline BuildKit" // an attestation-manifest entry of the index
)

// Attached is what is attached to one digest, by kind, each kind listing
// where it was found. Presence only: nothing is verified.
type Attached struct {
	Signatures   []string `json:"signatures,omitempty"`
	Attestations []string `json:"attestations,omitempty"`
	SBOMs        []string `json:"sboms,omitempty"`
	// Manifests are the attached manifests' digests (referrers, and the
	// legacy tags' manifests by tag): what a copy carries along.
	Manifests []Attachment `json:"-"`
	// Gone are referrers listed for the digest (a fallback tag nobody
	// pruned, or a registry that lists what it no longer has) whose
	// manifest is not there: not counted, not copied, named.
	Gone []string `json:"-"`
	// Foreign are referrers listed for the digest whose own manifest
	// names another subject, or none: not counted, not copied, named.
	Foreign []string `json:"-"`
	// Err is why part of what is attached could not be read (set by
	// AttachmentsOf): what is listed is then a floor, and a kind missing
	// from it is unknown, not gone.
	Err error `json:"-"`
}

// MaxReferrers bounds the referrers one digest may list: a real image has
// a handful; more is a registry or a loop of signing gone wrong.
const MaxReferrers = 1000

// Attachment is one attached manifest: a referrer, or a legacy tag.
type Attachment struct {
	Digest name.Digest
	Tag    string // the legacy tag that names it; "" for a referrer
}

// Empty reports nothing attached.
func (a Attached) Empty() bool {
	return len(a.Signatures)+len(a.Attestations)+len(a.SBOMs) == 0
}

// String is the plan column: "signed (legacy tag); attested (referrers
// API)", or "nothing attached".
func (a Attached) String() string {
	var parts []string
	for _, k := range []struct {
		what  string
		where []string
	}{{"signed", a.Signatures}, {"attested", a.Attestations}, {"SBOM", a.SBOMs}} {
		if len(k.where) > 0 {
			parts = append(parts, k.what+" ("+strings.Join(k.where, ", ")+")")
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing attached")
	}
	if len(a.Gone) > 0 {
		parts = append(parts, fmt.Sprintf("%d listed but gone (%s)", len(a.Gone), strings.Join(a.Gone, ", ")))
	}
	if len(a.Foreign) > 0 {
		parts = append(parts, fmt.Sprintf("%d listed but about another digest (%s)", len(a.Foreign), strings.Join(a.Foreign, ", ")))
	}
	return strings.Join(parts, "; ")
}

// Lost says which kinds recorded in was are missing from now, "" when none.
func Lost(was, now Attached) string {
	var gone []string
	for _, k := range []struct {
		what     string
		was, now []string
	}{{"signatures", was.Signatures, now.Signatures}, {"attestations", was.Attestations, now.Attestations}, {"SBOMs", was.SBOMs, now.SBOMs}} {
		if len(k.was) > 0 && len(k.now) == 0 {
			gone = append(gone, k.what)
		}
	}
	return strings.Join(gone, ", ")
}

// Add notes that something of kind (signature, attestation, sbom) was
// found where.
func (a *Attached) Add(kind, where string) {
	list := map[string]*[]string{"signature": &a.Signatures, "attestation": &a.Attestations, "sbom": &a.SBOMs}[kind]
	if list != nil && !slices.Contains(*list, where) {
		*list = append(*list, where)
		slices.Sort(*list)
	}
}

// KindOf classifies an attached manifest by its artifact type (cosign,
// notation, sigstore bundles, in-toto, SPDX, CycloneDX), "" when unknown.
func KindOf(artifactType string, annotations map[string]string) string {
	t := strings.ToLower(artifactType)
	switch {
	case strings.Contains(t, "sigstore.bundle"):
		// cosign v3 stores a signature as a bundle too, and marks it with
		// its own predicate type: only another predicate is an attestation.
		switch annotations["dev.sigstore.bundle.predicateType"] {
		case "", CosignSignPredicate:
			return "signature"
		}
		return "attestation"
	case strings.Contains(t, "signature") || strings.Contains(t, "cosign.artifact.sig") || strings.Contains(t, "notary"):
		return "signature"
	case strings.Contains(t, "in-toto") || strings.Contains(t, "dsse") || strings.Contains(t, "attestation") || strings.Contains(t, "provenance"):
		return "attestation"
	case strings.Contains(t, "spdx") || strings.Contains(t, "cyclonedx") || strings.Contains(t, "syft") || strings.Contains(t, "sbom"):
		return "sbom"
	}
	return ""
}

// Record is a as the ledger keeps it: an empty Attached when nothing is
// attached (read, and none; nil in a ledger means not read).
func (a Attached) Record() *ledger.Attached {
	if a.Empty() {
		return &ledger.Attached{Gone: a.Gone, Foreign: a.Foreign}
	}
	return &ledger.Attached{Signatures: a.Signatures, Attestations: a.Attestations, SBOMs: a.SBOMs, Gone: a.Gone, Foreign: a.Foreign}
}

// FromRecord is what a ledger recorded, as an Attached.
func FromRecord(r *ledger.Attached) Attached {
	if r == nil {
		return Attached{}
	}
	return Attached{Signatures: r.Signatures, Attestations: r.Attestations, SBOMs: r.SBOMs, Gone: r.Gone, Foreign: r.Foreign}
}

// Named reports whether a has anything to show: something attached, or a
// referrer listed but not counted.
func (a Attached) Named() bool {
	return !a.Empty() || len(a.Gone)+len(a.Foreign) > 0
}

// AttachedKey is d's key in what AttachmentsOf returns: its repository and
// digest. One digest lives in several repositories after a promote, each
// with its own attachments: one must never answer for another.
func AttachedKey(d name.Digest) string { return d.Context().Name() + "@" + d.DigestStr() }
