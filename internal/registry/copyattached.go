package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/fanout"
)

// CopyAttached makes a's attached manifests present in dst, by digest, and
// cosign's legacy tags point there as at the source: what a copy of the
// digest they are attached to must carry along. A referrer is copied with
// its subject, so a registry without the referrers API gets its fallback
// tag updated (go-containerregistry does, as cosign and oras do). Nothing
// already there is sent again; every legacy tag is read back. It returns
// how many manifests or tags it wrote, and the referrers the source no
// longer has (deleted since they were read), which it skips.
//
// The referrers go one after another (each updates the subject's one
// fallback tag: read, add, write), beside them each legacy tag at once.
// Two calls for one subject at once (two sources sharing an image) walk
// the same list in the same order, and Copy lets one caller write each
// referrer while the other waits: the fallback tag is not updated twice
// at the same moment from here.
func (c *Client) CopyAttached(ctx context.Context, a Attached, dst name.Repository) (wrote int, gone []string, err error) {
	var referrers, legacy []Attachment
	for _, m := range a.Manifests {
		if m.Tag == "" {
			referrers = append(referrers, m)
		} else {
			legacy = append(legacy, m)
		}
	}
	var mu sync.Mutex
	add := func(n int) {
		mu.Lock()
		wrote += n
		mu.Unlock()
	}
	errs := make([]error, 1+len(legacy))
	fanout.Each(ctx, 1+len(legacy), 1+len(legacy), func(i int) {
		if i == 0 {
			for _, m := range referrers {
				n, skipped, err := c.copyReferrer(ctx, m, dst)
				add(n)
				if skipped {
					gone = append(gone, m.Digest.DigestStr())
				}
				if err != nil {
					errs[0] = err
					return
				}
			}
			return
		}
		n, err := c.copyLegacyTag(ctx, legacy[i-1], dst)
		add(n)
		errs[i] = err
	})
	if err := ctx.Err(); err != nil {
		return wrote, gone, err
	}
	return wrote, gone, errors.Join(errs...)
}

// copyReferrer copies one referrer; skipped reports one the source says
// is gone. Only the source's word skips: a 404 from the target (a
// repository it will not create, a subject it cannot find) is a failure
// to carry, never a quiet skip.
func (c *Client) copyReferrer(ctx context.Context, m Attachment, dst name.Repository) (wrote int, skipped bool, err error) {
	st, err := c.Copy(ctx, m.Digest, dst)
	if errors.Is(err, ErrNotFound) {
		if _, rerr := c.Resolve(ctx, m.Digest); errors.Is(rerr, ErrNotFound) {
			return 0, true, nil
		}
	}
	if err != nil {
		return 0, false, fmt.Errorf("copying what is attached (%s): %w", m.Digest.DigestStr(), err)
	}
	if !st.Present {
		wrote++
	}
	return wrote, false, nil
}

// copyLegacyTag copies a legacy tag's manifest and points the tag at it,
// with the bytes the copy read (the source's), then reads the tag back.
func (c *Client) copyLegacyTag(ctx context.Context, m Attachment, dst name.Repository) (wrote int, err error) {
	st, err := c.Copy(ctx, m.Digest, dst)
	if err != nil {
		return 0, fmt.Errorf("copying what is attached (%s): %w", m.Digest.DigestStr(), err)
	}
	if !st.Present {
		wrote++
	}
	tag := dst.Tag(m.Tag)
	if d, err := c.Resolve(ctx, tag); err == nil && d.Digest.String() == m.Digest.DigestStr() {
		return wrote, nil
	}
	mf, err := c.Manifest(ctx, m.Digest)
	if err != nil {
		return wrote, err
	}
	if err := c.Put(ctx, tag, mf); err != nil {
		return wrote, err
	}
	if d, err := c.Resolve(ctx, tag); err != nil || d.Digest.String() != m.Digest.DigestStr() {
		return wrote, fmt.Errorf("copying %s: the tag did not read back at %s", tag, m.Digest.DigestStr())
	}
	return wrote + 1, nil
}
