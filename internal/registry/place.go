package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"

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
// the ones read, so the digest stays the same everywhere.
func (c *Client) Copy(ctx context.Context, src name.Digest, dst name.Repository) (CopyStats, error) {
	target := dst.Digest(src.DigestStr())
	if _, err := c.puller.Head(ctx, target); err == nil {
		return CopyStats{Present: true}, nil
	}
	// What is copied may itself be attached to something (a manifest with
	// a subject): what was read of dst's attachments may be stale after.
	defer c.attachedMemo.forget(dst)
	if img, ok := c.cachedImage(ctx, src, dst); ok {
		// Read, hashed and vetted by the plan: pushed from those bytes.
		if err := c.pushImage(ctx, target, img); err != nil {
			return CopyStats{}, c.classify(target, "copying "+src.String()+" to", err)
		}
		return CopyStats{}, nil
	}
	desc, err := c.puller.Get(ctx, src)
	if errors.Is(err, errTooLarge) {
		return CopyStats{}, tooLarge(src)
	}
	if err != nil {
		return CopyStats{}, c.classify(src, "reading", err)
	}
	sum := sha256.Sum256(desc.Manifest)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != src.DigestStr() {
		return CopyStats{}, errkind.Remotef("reading %s: the registry served bytes that hash to %s: refused", src, got)
	}
	if err := vet(src, desc.MediaType, desc.Manifest); err != nil {
		return CopyStats{}, err
	}
	if desc.MediaType.IsIndex() {
		// Every descendant is held to the same bounds before the copy
		// starts: the copy itself re-reads each image once per layer.
		m := Manifest{Descriptor: Descriptor{Digest: desc.Digest, MediaType: desc.MediaType, Size: desc.Size}, Raw: desc.Manifest}
		if err := Vet(ctx, c, src, m); err != nil {
			return CopyStats{}, err
		}
	}
	if err := c.pusher.Push(ctx, target, desc); err != nil {
		return CopyStats{}, c.classify(target, "copying "+src.String()+" to", err)
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
	errs := make([]error, len(blobs))
	fanout.Each(ctx, c.jobs, len(blobs), func(i int) {
		errs[i] = c.pusher.Upload(ctx, target.Context(), blobs[i])
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return c.pusher.Put(ctx, target, img)
}

// PutManifest puts m into repo by its digest, exact bytes and media type:
// one PUT, which changes nothing when repo has it already (a HEAD first
// would cost the same request there and one more everywhere else). Every
// manifest m names must already be there.
func (c *Client) PutManifest(ctx context.Context, repo name.Repository, m Manifest) error {
	ref := repo.Digest(m.Digest.String())
	if err := c.pusher.Put(ctx, ref, rawManifest{m}); err != nil {
		return c.classify(ref, "writing", err)
	}
	return nil
}

// config reads the config blob digest of repo, hashed and bounded (or
// from what the client already read), and keeps it for a copy.
func (c *Client) config(ctx context.Context, repo name.Repository, digest v1.Hash) ([]byte, error) {
	if got, ok := c.read.get(repo, digest.String()); ok {
		return got.raw, nil
	}
	ref := repo.Digest(digest.String())
	layer, err := c.puller.Layer(ctx, ref)
	if err != nil {
		return nil, c.classify(ref, "reading config", err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, c.classify(ref, "reading config", err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxConfig+1))
	if err != nil {
		return nil, c.classify(ref, "reading config", err)
	}
	if len(raw) > maxConfig {
		return nil, errkind.Remotef("reading config %s: it is larger than %d MiB: refused (no real config is)", ref, maxConfig>>20)
	}
	sum := sha256.Sum256(raw)
	if "sha256:"+hex.EncodeToString(sum[:]) != digest.String() {
		return nil, errkind.Remotef("reading config %s: the registry served other bytes than that digest", ref)
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
