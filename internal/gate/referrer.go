package gate

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/report"
)

const bundleVia = "Sigstore bundle"

// referrer tries a referrer that holds a Sigstore bundle (cosign v3's
// default, cosign v2's --new-bundle-format, GitHub's attest actions with
// push-to-registry): the bundle is its layer, verified by sigstore-go
// against d's digest. A DSSE statement must name d among its subjects;
// a signature over the manifest's bytes must be over d. ok is false for
// a referrer that is no bundle (an SBOM, a notation signature).
func (g *Gate) referrer(ctx context.Context, reg Registry, d name.Digest, m oci.Attachment) (candidate, bool) {
	c := candidate{via: bundleVia + " " + short(m.Digest.DigestStr())}
	mf, err := bundleManifest(ctx, reg, m)
	if err != nil {
		c.err = fmt.Errorf("%w: %v", errRead, err)
		return c, true
	}
	if mf == nil {
		return c, false
	}
	i := slices.IndexFunc(mf.Layers, func(l v1.Descriptor) bool { return isBundle(string(l.MediaType)) })
	if i < 0 {
		c.err = fmt.Errorf("typed as a bundle, and no layer holds one")
		return c, true
	}
	l := mf.Layers[i]
	if l.Size > maxBundle {
		c.err = fmt.Errorf("a bundle of %d bytes, over %d: refused (a real one is a few KiB)", l.Size, maxBundle)
		return c, true
	}
	raw, err := reg.Blob(ctx, d.Context(), l.Digest, maxBundle)
	if err != nil {
		c.err = fmt.Errorf("%w: %v", errRead, err)
		return c, true
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		c.err = fmt.Errorf("not a Sigstore bundle: %v", err)
		return c, true
	}
	want, err := hex.DecodeString(strings.TrimPrefix(d.DigestStr(), "sha256:"))
	if err != nil || len(want) != 32 {
		c.err = fmt.Errorf("%s is not a sha256 digest: tagguard verifies sha256 digests only", d.DigestStr())
		return c, true
	}
	if env, err := b.Envelope(); err == nil && env != nil {
		s, err := env.Statement()
		if err != nil {
			c.err = fmt.Errorf("the bundle's envelope holds no in-toto statement: %v", err)
			return c, true
		}
		named := false
		for _, sub := range s.GetSubject() {
			if sub.GetDigest()["sha256"] == hex.EncodeToString(want) {
				named = true
			}
		}
		if !named {
			c.err = fmt.Errorf("the signature is over another digest: its statement does not name %s", d.DigestStr())
			return c, true
		}
		pt := s.GetPredicateType()
		c.via += " (" + report.Clip(pt, 100) + ")"
		if !evidence(pt) {
			c.err = fmt.Errorf("an attestation of type %q: neither a signature nor build provenance, so not evidence the gate takes (a scan or an SBOM by the same identity says nothing of who built the image)", report.Clip(pt, 100))
			return c, true
		}
	}
	c.by, c.err = g.verifyEntity(&b, func() verify.ArtifactPolicyOption { return verify.WithArtifactDigest("sha256", want) })
	return c, true
}

// bundleManifest is m's manifest when it holds a Sigstore bundle, nil
// when it is something else (an SBOM, a notation signature). The
// manifest was read when the referrers were listed: this is the cache.
func bundleManifest(ctx context.Context, reg Registry, m oci.Attachment) (*oci.Artifact, error) {
	man, err := reg.Manifest(ctx, m.Digest)
	if err != nil {
		return nil, err
	}
	mf, err := oci.ArtifactOf(man.Raw)
	if err != nil || (!isBundle(mf.ArtifactType) && !isBundle(mf.ConfigMediaType)) {
		return nil, nil
	}
	return &mf, nil
}

// isBundle reports whether m holds a Sigstore bundle; one that cannot be
// read counts as one (it might).
func (g *Gate) isBundle(ctx context.Context, reg Registry, m oci.Attachment) bool {
	mf, err := bundleManifest(ctx, reg, m)
	return err != nil || mf != nil
}

// evidence reports whether a statement's predicate type vouches for the
// digest it names: cosign's signature, or SLSA build provenance (what
// actions/attest-build-provenance writes). Any other attestation by the
// same identity (a vulnerability scan, an SBOM, test results) is that
// identity's statement about an image, not that it built or signed it:
// a release workflow that scans base images must not make them pass.
func evidence(predicateType string) bool {
	return predicateType == oci.CosignSignPredicate || strings.HasPrefix(predicateType, "https://slsa.dev/provenance/")
}

func isBundle(mediaType string) bool {
	return strings.HasPrefix(mediaType, "application/vnd.dev.sigstore.bundle")
}

// short is a digest cut to its first 12 hex digits, as reports show one
// among many.
func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}
