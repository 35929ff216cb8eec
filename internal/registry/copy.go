package registry

import (
	"context"
	"errors"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/oci"
)

// CopyStats says what a copy did.
type CopyStats struct {
	Present bool // the target had it all already: nothing was copied
}

func (s CopyStats) String() string {
	if s.Present {
		return "already present, nothing copied"
	}
	return "copied what was missing"
}

// Copy makes src — an image or an index with every manifest it names, and
// their blobs — present in dst by the same digest, without a tag. What the
// target has is not sent again (HEAD first); within one registry blobs are
// mounted, across registries each is streamed once. The manifest bytes are
// the ones read and hashed (by the plan, or here), so the digest stays the
// same everywhere.
//
// A run copies each manifest into a repository once: a child an index
// lists twice, or that two sources share, is copied by the first caller
// and waited for by the others, who get its outcome.
func (c *Client) Copy(ctx context.Context, src name.Digest, dst name.Repository) (CopyStats, error) {
	src, dst = c.homeDigest(src), c.homeRepo(dst)
	return c.copyOnce(ctx, src, dst, false)
}

// copyOnce is Copy; vetted says src is inside an index whose whole tree
// was vetted already, so it is not walked again.
func (c *Client) copyOnce(ctx context.Context, src name.Digest, dst name.Repository, vetted bool) (CopyStats, error) {
	key := dst.Digest(src.DigestStr()).Name()
	stats, ran, err := c.copies.Do(ctx, key, func() (CopyStats, error) { return c.copy(ctx, src, dst, vetted) })
	if !ran && err == nil {
		// Another caller copied it: as far as this one is concerned, it
		// was there.
		return CopyStats{Present: true}, nil
	}
	return stats, err
}

func (c *Client) copy(ctx context.Context, src name.Digest, dst name.Repository, vetted bool) (CopyStats, error) {
	target := dst.Digest(src.DigestStr())
	if _, err := c.puller.Head(ctx, target); err == nil {
		return CopyStats{Present: true}, nil
	}
	m, err := c.Manifest(ctx, src)
	if err != nil {
		return CopyStats{}, err
	}
	switch {
	case m.MediaType.IsIndex():
		// Every descendant is read, hashed and held to the bounds before
		// the first write; each distinct child is then copied as its own
		// manifest (a HEAD, then what the target lacks), the first failure
		// stopping the ones not started, and the index goes last.
		if !vetted {
			if err := Vet(ctx, c, src, m); err != nil {
				return CopyStats{}, err
			}
		}
		entries, err := oci.Entries(m.Raw)
		if err != nil {
			return CopyStats{}, errkind.Remotef("reading index %s: %v", src, err)
		}
		var children []string
		for _, d := range entries {
			if !slices.Contains(children, d.Digest.String()) {
				children = append(children, d.Digest.String())
			}
		}
		if err := fanout.UntilError(ctx, c.jobs, len(children), func(ctx context.Context, i int) error {
			_, err := c.copyOnce(ctx, src.Context().Digest(children[i]), dst, true)
			return err
		}); err != nil {
			return CopyStats{}, err
		}
		if err := c.pusher.Put(ctx, target, rawManifest{m}); err != nil {
			return CopyStats{}, c.classify(target, "copying "+src.String()+" to", err)
		}
	case m.MediaType.IsImage():
		img, err := c.image(ctx, src, dst, m)
		if err != nil {
			return CopyStats{}, err
		}
		if err := c.pushImage(ctx, target, img); err != nil {
			return CopyStats{}, c.classify(target, "copying "+src.String()+" to", err)
		}
	default:
		return CopyStats{}, errkind.Remotef("copying %s: a manifest of type %s is neither an image nor an index: not copied", src, m.MediaType)
	}
	return CopyStats{}, nil
}

// pushImage writes img's blobs (each HEADed, then mounted or streamed, at
// most once per digest) and then its manifest by digest. It is
// go-containerregistry's Push without Push's HEAD of the manifest, which
// Copy has just sent.
func (c *Client) pushImage(ctx context.Context, target name.Digest, img v1.Image) error {
	blobs, err := img.Layers()
	if err != nil {
		return err
	}
	cl, err := partial.ConfigLayer(img)
	if err != nil {
		return err
	}
	blobs = append(blobs, cl)
	// The first failure stops the uploads not yet started, as Push does.
	if err := fanout.UntilError(ctx, c.jobs, len(blobs), func(ctx context.Context, i int) error {
		return c.pusher.Upload(ctx, target.Context(), blobs[i])
	}); err != nil {
		return err
	}
	return c.pusher.Put(ctx, target, img)
}

// PutManifest puts m into repo by its digest, exact bytes and media type.
// Every manifest m names must already be there, and m names no subject (a
// refused update of a subject's fallback tag would pass for success). It
// PUTs at once: m is new on every first run, and a HEAD first would cost a
// round trip there. A repository that has m already takes the PUT as a
// no-op, or (a policy against re-pushing) refuses it: a refusal is then
// answered by a read, and m found there is success.
func (c *Client) PutManifest(ctx context.Context, repo name.Repository, m Manifest) error {
	repo = c.homeRepo(repo)
	ref := repo.Digest(m.Digest.String())
	err := c.pusher.Put(ctx, ref, rawManifest{m})
	if err == nil {
		return nil
	}
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode >= 400 && terr.StatusCode < 500 {
		if d, rerr := c.Resolve(ctx, ref); rerr == nil && d.Digest == m.Digest {
			return nil
		}
	}
	return c.classify(ref, "writing", err)
}
