package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
)

// maxConfig bounds a config blob tagguard reads for a platform: configs are
// a few kilobytes; a registry that serves more is not trusted with memory.
const maxConfig = 4 << 20

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
		idx, err := v1.ParseIndexManifest(bytes.NewReader(m.Raw))
		if err != nil {
			return CopyStats{}, errkind.Remotef("reading index %s: %v", src, err)
		}
		var children []string
		for _, d := range idx.Manifests {
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

// config reads the config blob digest of repo, hashed and bounded (or
// from what the client already read), and keeps it for a copy.
func (c *Client) config(ctx context.Context, repo name.Repository, digest v1.Hash) ([]byte, error) {
	return c.Blob(ctx, repo, digest, maxConfig)
}

// Blob GETs a small blob (a config, a signature's payload, a Sigstore
// bundle) whole, at most max bytes, and hashes it itself: bytes that are
// not the digest asked for are refused. Each is read once a run.
func (c *Client) Blob(ctx context.Context, repo name.Repository, digest v1.Hash, max int64) ([]byte, error) {
	if got, ok := c.read.get(repo, digest.String()); ok {
		return got.raw, nil
	}
	ref := repo.Digest(digest.String())
	layer, err := c.puller.Layer(ctx, ref)
	if err != nil {
		return nil, c.classify(ref, "reading blob", err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, c.classify(ref, "reading blob", err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, c.classify(ref, "reading blob", err)
	}
	if int64(len(raw)) > max {
		return nil, errkind.Remotef("reading blob %s: it is larger than %d KiB: refused (no real one of its kind is)", ref, max>>10)
	}
	sum := sha256.Sum256(raw)
	if "sha256:"+hex.EncodeToString(sum[:]) != digest.String() {
		return nil, errkind.Remotef("reading blob %s: the registry served other bytes than that digest", ref)
	}
	c.read.put(repo, digest.String(), "", raw)
	return raw, nil
}

// ErrNoPlatform is a config that names no os or architecture: the image
// can be published alone, but cannot join an index.
var ErrNoPlatform = errors.New("no platform")

// Platform reads the platform of an image manifest from its config blob,
// which it hashes before use.
func (c *Client) Platform(ctx context.Context, repo name.Repository, m Manifest) (*v1.Platform, error) {
	man, err := v1.ParseManifest(bytes.NewReader(m.Raw))
	if err != nil {
		return nil, errkind.Remotef("reading manifest %s in %s: %v", m.Digest, repo, err)
	}
	raw, err := c.config(ctx, repo, man.Config.Digest)
	if err != nil {
		return nil, err
	}
	ref := repo.Digest(man.Config.Digest.String())
	cf, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, errkind.Remotef("reading config %s: %v", ref, err)
	}
	p := cf.Platform()
	if p == nil || p.OS == "" || p.Architecture == "" {
		return nil, errkind.New(errkind.BadInput, fmt.Errorf("image %s in %s names no platform in its config (os and architecture): it cannot join an index: %w", m.Digest, repo, ErrNoPlatform))
	}
	return p, nil
}
