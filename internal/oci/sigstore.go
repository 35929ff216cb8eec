package oci

// CosignSignPredicate is the predicate type cosign v3 gives the Sigstore
// bundle of a plain signature (cosign sign), stored as an OCI 1.1
// referrer: what tells it from an attestation, which is a bundle too.
const CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"
