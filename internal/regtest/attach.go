package regtest

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Artifact types of what tools attach to an image.
const (
	CosignSignature = "application/vnd.dev.cosign.artifact.sig.v1+json"
	InToto          = "application/vnd.in-toto+json"
	SPDX            = "application/spdx+json"
)

// artifact is a small OCI artifact manifest of artifactType (its config
// media type, as OCI 1.1 reads it when artifactType is absent).
func artifact(t testing.TB, artifactType string) v1.Image {
	t.Helper()
	layer, err := random.Layer(64, types.OCILayer)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		t.Fatal(err)
	}
	return mutate.ConfigMediaType(img, types.MediaType(artifactType))
}

// Refer pushes an artifact of artifactType whose subject is the manifest at
// subject (REPO@sha256:…), as cosign v3, notation or oras do; on a
// registry without the referrers API, go-containerregistry updates the
// referrers fallback tag as those tools do. It returns the artifact's digest.
func (p Pusher) Refer(t testing.TB, subject, artifactType string) v1.Hash {
	t.Helper()
	sub := parseRef(t, subject).(name.Digest)
	desc, err := remote.Head(sub, p.options(t)...)
	if err != nil {
		t.Fatal(err)
	}
	img := mutate.Subject(artifact(t, artifactType), v1.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size}).(v1.Image)
	d := digestOf(t, img)
	if err := remote.Write(sub.Context().Digest(d.String()), img, p.options(t)...); err != nil {
		t.Fatalf("pushing a referrer of %s: %v", subject, err)
	}
	return d
}

// Refer is Pusher.Refer without credentials.
func Refer(t testing.TB, subject, artifactType string) v1.Hash {
	return Pusher{}.Refer(t, subject, artifactType)
}

// SignLegacy pushes an artifact at cosign's legacy tag for the manifest at
// subject: sha256-<hex>.sig, .att or .sbom (suffix).
func (p Pusher) SignLegacy(t testing.TB, subject, suffix string) v1.Hash {
	t.Helper()
	sub := parseRef(t, subject).(name.Digest)
	tag := sub.Context().Tag(strings.Replace(sub.DigestStr(), ":", "-", 1) + suffix)
	img := artifact(t, CosignSignature)
	if err := remote.Write(tag, img, p.options(t)...); err != nil {
		t.Fatalf("pushing %s: %v", tag, err)
	}
	return digestOf(t, img)
}

// SignLegacy is Pusher.SignLegacy without credentials.
func SignLegacy(t testing.TB, subject, suffix string) v1.Hash {
	return Pusher{}.SignLegacy(t, subject, suffix)
}
