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

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/oci"
)

// maxConfig bounds a config blob tagguard reads for a platform: configs are
// a few kilobytes; a registry that serves more is not trusted with memory.
const maxConfig = 4 << 20

// config reads the config blob digest of repo, hashed and bounded (or
// from what the client already read), and keeps it for a copy.
func (c *Client) config(ctx context.Context, repo name.Repository, digest v1.Hash) ([]byte, error) {
	return c.blob(ctx, repo, digest, maxConfig, "config", "no real config is")
}

// Blob GETs a small blob (a config, a signature's payload, a Sigstore
// bundle) whole, at most max bytes, and hashes it itself: bytes that are
// not the digest asked for are refused. Each is read once a run.
func (c *Client) Blob(ctx context.Context, repo name.Repository, digest v1.Hash, max int64) ([]byte, error) {
	return c.blob(ctx, repo, digest, max, "blob", "no real one of its kind is")
}

// blob is Blob, its messages naming what is read (a config, a blob).
func (c *Client) blob(ctx context.Context, repo name.Repository, digest v1.Hash, max int64, what, why string) ([]byte, error) {
	repo = c.homeRepo(repo)
	if got, ok := c.read.get(repo, digest.String()); ok {
		return got.raw, nil
	}
	ref := repo.Digest(digest.String())
	layer, err := c.puller.Layer(ctx, ref)
	if err != nil {
		return nil, c.classify(ref, "reading "+what, err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, c.classify(ref, "reading "+what, err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, c.classify(ref, "reading "+what, err)
	}
	if int64(len(raw)) > max {
		return nil, errkind.Remotef("reading %s %s: it is larger than %s: refused (%s)", what, ref, size(max), why)
	}
	sum := sha256.Sum256(raw)
	if "sha256:"+hex.EncodeToString(sum[:]) != digest.String() {
		return nil, errkind.Remotef("reading %s %s: the registry served other bytes than that digest", what, ref)
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
	repo = c.homeRepo(repo)
	man, err := oci.Image(m.Raw)
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

// size is a bound as messages say it: MiB from 1 MiB up, else KiB.
func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
