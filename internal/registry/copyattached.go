package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/oci"
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
func (c *Client) CopyAttached(ctx context.Context, a oci.Attached, dst name.Repository) (wrote int, gone []string, err error) {
	dst = c.homeRepo(dst)
	a.Manifests = slices.Clone(a.Manifests) // the caller's stays as it is
	for i := range a.Manifests {
		a.Manifests[i].Digest = c.homeDigest(a.Manifests[i].Digest)
	}
	var referrers, legacy []oci.Attachment
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
func (c *Client) copyReferrer(ctx context.Context, m oci.Attachment, dst name.Repository) (wrote int, skipped bool, err error) {
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
func (c *Client) copyLegacyTag(ctx context.Context, m oci.Attachment, dst name.Repository) (wrote int, err error) {
	st, err := c.Copy(ctx, m.Digest, dst)
	if err != nil {
		return 0, fmt.Errorf("copying what is attached (%s): %w", m.Digest.DigestStr(), err)
	}
	if !st.Present {
		wrote++
	}
	tag := dst.Tag(m.Tag)
	held, err := c.Resolve(ctx, tag)
	switch {
	case err == nil && held.Digest.String() == m.Digest.DigestStr():
		return wrote, nil
	case err == nil:
		// The target's own tag holds the target's own signatures: cosign
		// keeps every signature of a digest in that one manifest, so the
		// source's are merged into it, never PUT over it.
		n, err := c.mergeLegacyTag(ctx, m, tag, held.Digest)
		return wrote + n, err
	case !errors.Is(err, ErrNotFound):
		return wrote, err
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

// mergeLegacyTag points tag (a cosign legacy tag at the target that holds
// held, the target's own manifest) at held with the layers of m (the
// source's, already copied into the target) it lacks appended, each with
// its annotations (the signature, certificate and bundle of a cosign
// signature are there). Nothing is written when held has them all. The
// tag is read again right before the PUT: one moved meanwhile (another
// signer) is left alone and the carry fails, said, rather than losing a
// signature. Registries have no conditional PUT: two merges racing in the
// instant between that read and the PUT still lose one's layers.
func (c *Client) mergeLegacyTag(ctx context.Context, m oci.Attachment, tag name.Tag, held v1.Hash) (int, error) {
	dst := tag.Context()
	read := func(d v1.Hash) (v1.Image, *v1.Manifest, error) {
		ref := dst.Digest(d.String())
		mf, err := c.Manifest(ctx, ref)
		if err != nil {
			return nil, nil, err
		}
		man, err := oci.Image(mf.Raw)
		if err != nil || len(man.Layers) == 0 {
			return nil, nil, fmt.Errorf("%s at %s is not a cosign signature manifest: not merged", tag, d)
		}
		img, err := c.image(ctx, ref, dst, mf)
		return img, man, err
	}
	src, err := v1.NewHash(m.Digest.DigestStr())
	if err != nil {
		return 0, err
	}
	theirs, theirMan, err := read(held)
	if err != nil {
		return 0, fmt.Errorf("carrying %s: %w", tag, err)
	}
	ours, ourMan, err := read(src)
	if err != nil {
		return 0, fmt.Errorf("carrying %s: %w", tag, err)
	}
	// A layer is one signature by its payload and its annotations: every
	// signer of a digest signs the same simple-signing payload, and the
	// signature, certificate and bundle are annotations. By digest alone,
	// a second key's signature would pass for one the target has.
	have := map[string]bool{}
	for _, l := range theirMan.Layers {
		have[layerKey(l)] = true
	}
	layers, err := ours.Layers()
	if err != nil {
		return 0, err
	}
	var add []mutate.Addendum
	for i, l := range ourMan.Layers {
		if !have[layerKey(l)] && i < len(layers) {
			add = append(add, mutate.Addendum{Layer: layers[i], Annotations: l.Annotations, MediaType: l.MediaType})
		}
	}
	if len(add) == 0 {
		return 0, nil // the target's tag holds every signature the source's does
	}
	merged, err := mutate.Append(theirs, add...)
	if err != nil {
		return 0, fmt.Errorf("merging %s: %w", tag, err)
	}
	raw, err := merged.RawManifest()
	if err != nil {
		return 0, err
	}
	d, err := merged.Digest()
	if err != nil {
		return 0, err
	}
	mt, err := merged.MediaType()
	if err != nil {
		return 0, err
	}
	if err := c.pushImage(ctx, dst.Digest(d.String()), merged); err != nil {
		return 0, fmt.Errorf("writing the merged %s: %w", tag, err)
	}
	switch now, err := c.Resolve(ctx, tag); {
	case err != nil:
		return 1, fmt.Errorf("carrying %s: could not read it again before moving it: %w", tag, err)
	case now.Digest == d:
		return 1, nil // another carry of the same signatures merged them first
	case now.Digest != held:
		return 1, fmt.Errorf("carrying %s: the tag moved while its signatures were merged (another signer): left as it is; run again to merge with what it holds now", tag)
	}
	if err := c.Put(ctx, tag, Manifest{Descriptor: Descriptor{Digest: d, MediaType: mt, Size: int64(len(raw))}, Raw: raw}); err != nil {
		return 1, err
	}
	if now, err := c.Resolve(ctx, tag); err != nil || now.Digest != d {
		return 1, fmt.Errorf("carrying %s: the tag did not read back at %s", tag, d)
	}
	return 2, nil
}

// layerKey is a signature layer's identity: its digest and its
// annotations (encoding/json sorts a map's keys, so equal maps encode
// alike).
func layerKey(l v1.Descriptor) string {
	a, _ := json.Marshal(l.Annotations)
	return l.Digest.String() + " " + string(a)
}
