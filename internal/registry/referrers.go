package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/tagguard/tagguard/internal/oci"
	stack "github.com/tagguard/tagguard/internal/registry/transport"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/tagguard/tagguard/internal/fanout"
)

// referrers lists what refers to d, with go-containerregistry's Referrers
// on the client's own puller (one token per repository): the referrers API
// where the registry answers it, else the fallback tag. Which of the two
// answered is seen on the wire (probe).
func (c *Client) referrers(ctx context.Context, d name.Digest) ([]v1.Descriptor, string, error) {
	pctx, pr := stack.WithProbe(ctx)
	idx, err := remote.Referrers(d, remote.Reuse(c.puller), remote.WithContext(pctx))
	where := oci.FallbackTag
	if pr.API() {
		where = oci.ReferrersAPI
	}
	if errors.Is(err, errTooLarge) {
		return nil, where, fmt.Errorf("the referrers of %s: the answer is larger than %d MiB: refused (no real list of signatures is)", d, oci.MaxManifest>>20)
	}
	if err != nil {
		if errors.Is(c.classify(d, "", err), ErrNotFound) {
			return nil, where, nil // no fallback tag: nothing refers to d
		}
		return nil, where, c.classify(d, "listing the referrers of", err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, where, fmt.Errorf("reading the referrers of %s: %w", d, err)
	}
	if len(m.Manifests) > oci.MaxReferrers {
		return nil, where, fmt.Errorf("%s lists %d referrers (the %s), over %d: refused (a registry, or a signing loop, gone wrong)", d, len(m.Manifests), where, oci.MaxReferrers)
	}
	return m.Manifests, where, nil
}

// present reads (GET, by digest, under the manifest bounds) each listed
// referrer: the fallback tag is an index nobody prunes when a signature
// or attestation is deleted, a registry may list what it does not hold,
// and a listing's type is not the manifest's (cosign v2's fallback tag and
// go-containerregistry's referrers API list a bundle as the empty type).
// It returns those that are there and refer to subject, each with the
// artifact type and annotations its own manifest declares; the digests of
// those that are not there; those whose subject is another digest (a
// listing that names an unrelated image, typed as a signature, must not
// make subject signed); and the errors of those it could not read (not
// counted either way).
func (c *Client) present(ctx context.Context, subject name.Digest, refs []v1.Descriptor) (there []v1.Descriptor, gone, foreign []string, err error) {
	ok := make([]bool, len(refs))
	missing := make([]bool, len(refs))
	other := make([]bool, len(refs))
	errs := make([]error, len(refs))
	read := make([]v1.Descriptor, len(refs))
	fanout.Each(ctx, 4, len(refs), func(i int) {
		read[i] = refs[i]
		// Every entry is read, the OCI 1.1-rc artifact manifest (ORAS and
		// notation, 2022-23) too: counted from the listing, its subject
		// would be unchecked and a hand-written listing could make any
		// digest signed. go-containerregistry's Accept list lacks that
		// type, so a registry strict about Accept answers 404 for one
		// that is there: it is then not counted (listed but gone), the
		// safe side for a guard.
		d := subject.Context().Digest(refs[i].Digest.String())
		m, err := c.Manifest(ctx, d)
		switch {
		case errors.Is(err, ErrNotFound):
			missing[i] = true
			return
		case err != nil:
			errs[i] = err
			return
		}
		own, err := oci.ArtifactOf(m.Raw)
		switch {
		case err != nil:
			errs[i] = fmt.Errorf("the referrer %s of %s: %w", refs[i].Digest, subject.DigestStr(), err)
		case own.Subject != subject.DigestStr():
			other[i] = true
		default:
			ok[i] = true
			read[i].ArtifactType = own.Type()
			read[i].Annotations = own.Annotations
		}
	})
	for i, r := range refs {
		switch {
		case ok[i]:
			there = append(there, read[i])
		case missing[i]:
			gone = append(gone, r.Digest.String())
		case other[i]:
			foreign = append(foreign, r.Digest.String())
		}
	}
	return there, gone, foreign, errors.Join(errs...)
}
