package registry

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

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
	pr := &probe{}
	idx, err := remote.Referrers(d, remote.Reuse(c.puller), remote.WithContext(context.WithValue(ctx, probeKey{}, pr)))
	where := FallbackTag
	if pr.api.Load() {
		where = ReferrersAPI
	}
	if errors.Is(err, errTooLarge) {
		return nil, where, fmt.Errorf("the referrers of %s: the answer is larger than %d MiB: refused (no real list of signatures is)", d, MaxManifest>>20)
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
	if len(m.Manifests) > MaxReferrers {
		return nil, where, fmt.Errorf("%s lists %d referrers (the %s), over %d: refused (a registry, or a signing loop, gone wrong)", d, len(m.Manifests), where, MaxReferrers)
	}
	return m.Manifests, where, nil
}

// present reads (HEAD, by digest) each listed referrer: the fallback tag
// is an index nobody prunes when a signature or attestation is deleted,
// and a registry may list what it does not hold. It returns those that
// are there, the digests of those that are not, and the errors of those
// it could not read (not counted either way).
func (c *Client) present(ctx context.Context, repo name.Repository, refs []v1.Descriptor) (there []v1.Descriptor, gone []string, err error) {
	ok := make([]bool, len(refs))
	missing := make([]bool, len(refs))
	errs := make([]error, len(refs))
	fanout.Each(ctx, 4, len(refs), func(i int) {
		if refs[i].MediaType == ociArtifactManifest {
			// go-containerregistry's Accept list lacks the OCI 1.1-rc
			// artifact manifest (ORAS and notation wrote them in 2022-23): a
			// registry strict about Accept answers 404 for one that is
			// there. Counted from the listing, as before the probe.
			ok[i] = true
			return
		}
		d := repo.Digest(refs[i].Digest.String())
		got, err := c.Resolve(ctx, d)
		switch {
		case errors.Is(err, ErrNotFound):
			missing[i] = true
		case err != nil:
			errs[i] = err
		case got.Digest != refs[i].Digest:
			errs[i] = fmt.Errorf("the referrer %s answered as %s: refused", refs[i].Digest, got.Digest)
		default:
			ok[i] = true
		}
	})
	for i, r := range refs {
		switch {
		case ok[i]:
			there = append(there, r)
		case missing[i]:
			gone = append(gone, r.Digest.String())
		}
	}
	return there, gone, errors.Join(errs...)
}

// probeKey carries a *probe through a referrers request.
type probeKey struct{}

// probe notes whether the registry answered the referrers API itself.
type probe struct{ api atomic.Bool }
