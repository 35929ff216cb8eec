package registry

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// maxCached bounds the bytes the read cache holds: manifests and configs
// are a few kilobytes each, so a run's whole plan fits many times over.
const maxCached = 32 << 20

// readCache keeps, for the length of a run, the manifests and configs the
// client has read and hashed, by repository and digest: content-addressed,
// so never stale in the sense that matters. A copy of an image the plan
// read sends neither its manifest nor its config GET again.
type readCache struct {
	mu    sync.Mutex
	size  int
	items map[string]cached
}

type cached struct {
	raw []byte
	mt  types.MediaType
}

func (rc *readCache) get(repo name.Repository, digest string) (cached, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	c, ok := rc.items[repo.Name()+"@"+digest]
	return c, ok
}

// put keeps raw, which must hash to digest, while the cache has room.
func (rc *readCache) put(repo name.Repository, digest string, mt types.MediaType, raw []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	key := repo.Name() + "@" + digest
	if _, ok := rc.items[key]; ok || rc.size+len(raw) > maxCached {
		return
	}
	if rc.items == nil {
		rc.items = map[string]cached{}
	}
	rc.items[key] = cached{raw: bytes.Clone(raw), mt: mt}
	rc.size += len(raw)
}

// readImage is an image whose manifest (and config, when the plan read it)
// the client holds: pushed as it is, its layers streamed from the source
// repository (mounted within one registry), each with the size and media
// type its manifest gives, so no blob is asked about twice.
type readImage struct {
	c    *Client
	ctx  context.Context
	repo name.Repository
	raw  []byte
	mt   types.MediaType
	man  *v1.Manifest
}

// cachedImage is src as a v1.Image from what the client already read, for
// a copy into dst, or false when it has not read src's manifest or src is
// not an image.
func (c *Client) cachedImage(ctx context.Context, src name.Digest, dst name.Repository) (v1.Image, bool) {
	m, ok := c.read.get(src.Context(), src.DigestStr())
	if !ok || !m.mt.IsImage() {
		return nil, false
	}
	man, err := v1.ParseManifest(bytes.NewReader(m.raw))
	if err != nil {
		return nil, false
	}
	ri := &readImage{c: c, ctx: ctx, repo: src.Context(), raw: m.raw, mt: m.mt, man: man}
	img, err := partial.CompressedToImage(ri)
	if err != nil {
		return nil, false
	}
	if src.Context().RegistryStr() != dst.RegistryStr() {
		// Across registries a blob is streamed. Handed over as mountable,
		// go-containerregistry would ask the target to mount it from a
		// repository of another registry: a token-auth registry whose token
		// service will not grant that repository answers each such upload
		// with a 401 and a new token exchange (measured on the distribution
		// registry: 11 tokens where 3 do).
		return img, true
	}
	return mountable{Image: img, src: ri}, true
}

func (i *readImage) RawManifest() ([]byte, error)        { return i.raw, nil }
func (i *readImage) MediaType() (types.MediaType, error) { return i.mt, nil }
func (i *readImage) RawConfigFile() ([]byte, error) {
	return i.c.config(i.ctx, i.repo, i.man.Config.Digest)
}

func (i *readImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, d := range i.man.Layers {
		if d.Digest == h {
			l, err := i.c.puller.Layer(i.ctx, i.repo.Digest(h.String()))
			if err != nil {
				return nil, err
			}
			return sizedLayer{Layer: l, desc: d}, nil
		}
	}
	return nil, fmt.Errorf("layer %s is not in the manifest", h)
}

// sizedLayer answers Size and MediaType from the manifest's descriptor,
// where a bare remote layer would ask the registry (a HEAD each).
type sizedLayer struct {
	v1.Layer
	desc v1.Descriptor
}

func (l sizedLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l sizedLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }

// mountable hands go-containerregistry's writer layers it may mount from
// the source repository, in the same registry.
type mountable struct {
	v1.Image
	src *readImage
}

func (m mountable) Layers() ([]v1.Layer, error) {
	ls, err := m.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		out[i] = &remote.MountableLayer{Layer: l, Reference: m.src.repo.Digest(d.String())}
	}
	return out, nil
}

// ConfigLayer is mounted too, described by the manifest: its bytes are
// fetched only if the registry will not mount it.
func (m mountable) ConfigLayer() (v1.Layer, error) {
	ref := m.src.repo.Digest(m.src.man.Config.Digest.String())
	l, err := m.src.c.puller.Layer(m.src.ctx, ref)
	if err != nil {
		return nil, err
	}
	return &remote.MountableLayer{Layer: sizedLayer{Layer: l, desc: m.src.man.Config}, Reference: ref}, nil
}
