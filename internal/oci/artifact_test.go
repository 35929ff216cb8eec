package oci

import "testing"

// TestClassifyFromTheManifest: what a referrer is comes from its own
// manifest, never from how a listing typed it (cosign v2's fallback tag
// and go-containerregistry's referrers API list a bundle as the empty
// type), and cosign v3's signature bundle, marked with its own predicate
// type, is a signature, not an attestation.
func TestClassifyFromTheManifest(t *testing.T) {
	const subject = `"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aaaa","size":1}`
	for _, tc := range []struct {
		name, raw, kind, subject string
	}{
		{"cosign v3 signature bundle",
			`{"schemaVersion":2,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":{"mediaType":"application/vnd.oci.empty.v1+json"},` + subject + `,"annotations":{"dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1"}}`,
			"signature", "sha256:aaaa"},
		{"cosign v3 attestation bundle",
			`{"schemaVersion":2,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":{"mediaType":"application/vnd.oci.empty.v1+json"},` + subject + `,"annotations":{"dev.sigstore.bundle.predicateType":"https://slsa.dev/provenance/v1"}}`,
			"attestation", "sha256:aaaa"},
		{"bundle without a predicate type",
			`{"schemaVersion":2,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json",` + subject + `}`,
			"signature", "sha256:aaaa"},
		{"typed by its config (OCI 1.1 without artifactType)",
			`{"schemaVersion":2,"config":{"mediaType":"application/vnd.in-toto+json"},` + subject + `}`,
			"attestation", "sha256:aaaa"},
		{"cosign legacy signature image", `{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json"}]}`, "", ""},
		{"notation signature", `{"schemaVersion":2,"artifactType":"application/vnd.cncf.notary.signature",` + subject + `}`, "signature", "sha256:aaaa"},
		{"SPDX SBOM", `{"schemaVersion":2,"artifactType":"application/spdx+json",` + subject + `}`, "sbom", "sha256:aaaa"},
		{"empty config, no artifactType", `{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.empty.v1+json"},` + subject + `}`, "", "sha256:aaaa"},
		{"no subject", `{"schemaVersion":2,"artifactType":"application/vnd.dev.cosign.artifact.sig.v1+json"}`, "signature", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ArtifactOf([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if k := KindOf(a.Type(), a.Annotations); k != tc.kind || a.Subject != tc.subject {
				t.Errorf("kind %q, subject %q; want %q, %q", k, a.Subject, tc.kind, tc.subject)
			}
		})
	}
	if _, err := ArtifactOf([]byte("<html>")); err == nil {
		t.Error("an HTML page read as a referrer")
	}
}

// TestShapeOf: a manifest's own word on its kind and size, whatever it
// is; bytes that are not JSON have none.
func TestShapeOf(t *testing.T) {
	for raw, want := range map[string]Shape{
		`{"schemaVersion":1,"fsLayers":[]}`:       {SchemaVersion: 1},
		`{"schemaVersion":2,"layers":[{},{},{}]}`: {SchemaVersion: 2, Layers: 3},
		`{"schemaVersion":2,"manifests":[{},{}]}`: {SchemaVersion: 2, Manifests: 2},
		`<html>`:                                {},
		`{"schemaVersion":"two","layers":[{}]}`: {Layers: 1}, // a field of the wrong type loses that field alone
	} {
		if got := ShapeOf([]byte(raw)); got != want {
			t.Errorf("ShapeOf(%s) = %+v, want %+v", raw, got, want)
		}
	}
}
