package registry

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/oci"
)

// legacySuffixes are cosign's legacy tags and what each holds.
var legacySuffixes = []struct{ suffix, kind string }{{".sig", "signature"}, {".att", "attestation"}, {".sbom", "sbom"}}

// Attachments reads what is attached to d: one referrers request (the
// referrers API, else one GET of the fallback tag where the registry has
// no API), then a GET of each referrer listed (present: at most
// oci.MaxReferrers, four at a time, each under the manifest bounds), and a
// HEAD of each of cosign's three legacy tags, in parallel within --jobs.
// An index's inline BuildKit attestations are read from its bytes
// (InlineAttestations).
func (c *Client) Attachments(ctx context.Context, d name.Digest) (oci.Attached, error) {
	d = c.homeDigest(d)
	var a oci.Attached
	var mu sync.Mutex
	errs := make([]error, 1+len(legacySuffixes))
	hex := strings.TrimPrefix(d.DigestStr(), "sha256:")
	fanout.Each(ctx, 1+len(legacySuffixes), 1+len(legacySuffixes), func(i int) {
		if i == 0 {
			refs, where, err := c.referrers(ctx, d)
			there, gone, foreign, herr := c.present(ctx, d, refs)
			mu.Lock()
			defer mu.Unlock()
			errs[0] = errors.Join(err, herr)
			for _, r := range there {
				if k := oci.KindOf(r.ArtifactType, r.Annotations); k != "" {
					a.Add(k, where)
				}
				a.Manifests = append(a.Manifests, oci.Attachment{Digest: d.Context().Digest(r.Digest.String())})
			}
			a.Gone = append(a.Gone, gone...)
			a.Foreign = append(a.Foreign, foreign...)
			return
		}
		l := legacySuffixes[i-1]
		tag := d.Context().Tag("sha256-" + hex + l.suffix)
		desc, err := c.Resolve(ctx, tag)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			errs[i] = err
		default:
			a.Add(l.kind, oci.LegacyTag)
			a.Manifests = append(a.Manifests, oci.Attachment{Digest: d.Context().Digest(desc.Digest.String()), Tag: tag.TagStr()})
		}
	})
	if err := ctx.Err(); err != nil {
		return a, err
	}
	return a, errors.Join(errs...)
}

// AttachmentsOf reads Attachments of every digest, each once, in parallel
// (the client's --jobs bounds the requests). inline names the images an
// index holds a BuildKit attestation for: they count as attested, oci.Inline.
func (c *Client) AttachmentsOf(ctx context.Context, ds []name.Digest, inline map[string]bool) (map[string]oci.Attached, error) {
	ds = slices.CompactFunc(slices.SortedFunc(slices.Values(ds), func(a, b name.Digest) int { return strings.Compare(a.Name(), b.Name()) }),
		func(a, b name.Digest) bool { return a.Name() == b.Name() })
	out := make([]oci.Attached, len(ds))
	errs := make([]error, len(ds))
	fanout.Each(ctx, min(len(ds), 64), len(ds), func(i int) {
		out[i], errs[i] = c.Attachments(ctx, ds[i])
		out[i].Err = errs[i]
		if inline[ds[i].DigestStr()] {
			out[i].Add("attestation", oci.Inline)
		}
	})
	m := make(map[string]oci.Attached, len(ds))
	for i, d := range ds {
		m[oci.AttachedKey(d)] = out[i]
	}
	return m, errors.Join(errs...)
}
