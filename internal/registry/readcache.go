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
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/oci"
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

// readImage is an image whose manifest the client holds: pushed as it is,
// its layers streamed from the source repository (mounted within one
// registry), each with the size and media type its manifest gives, so no
// blob is asked about twice.
type readImage struct {
	c    *Client
	ctx  context.Context
	repo name.Repository
	raw  []byte
	mt   types.MediaType
	man  *v1.Manifest
}

// image is m, read and hashed from src, as a v1.Image for a copy into
// dst: its layers and config described by the manifest (sizes and media
// types included, so no blob is asked about twice), fetched from src only
// when a blob is streamed, and mounted instead when src and dst share a
// registry.
func (c *Client) image(ctx context.Context, src name.Digest, dst name.Repository, m Manifest) (v1.Image, error) {
	man, err := oci.Image(m.Raw)
	if err != nil {
		return nil, errkind.Remotef("reading manifest %s: %v", src, err)
	}
	ri := &readImage{c: c, ctx: ctx, repo: src.Context(), raw: m.Raw, mt: m.MediaType, man: man}
	img, err := partial.CompressedToImage(ri)
	if err != nil {
		return nil, errkind.Remotef("reading manifest %s: %v", src, err)
	}
	// Across registries a blob is streamed. Handed over as mountable,
	// go-containerregistry would ask the target to mount it from a
	// repository of another registry: a token-auth registry whose token
	// service will not grant that repository answers each such upload with
	// a 401 and a new token exchange (measured on the distribution
	// registry: 11 tokens where 3 do).
	return copyable{Image: img, src: ri, mount: src.Context().RegistryStr() == dst.RegistryStr()}, nil
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

// copyable hands go-containerregistry's writer an image's blobs as the
// manifest describes them: mountable from the source repository when
// mount (one registry), else streamed from it. The config is no exception:
// across registries the bytes the plan read and hashed are sent, or, not
// read, streamed and verified against its digest as they go.
type copyable struct {
	v1.Image
	src   *readImage
	mount bool
}

func (m copyable) Layers() ([]v1.Layer, error) {
	ls, err := m.Image.Layers()
	if err != nil || !m.mount {
		return ls, err
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

func (m copyable) ConfigLayer() (v1.Layer, error) {
	ref := m.src.repo.Digest(m.src.man.Config.Digest.String())
	if got, ok := m.src.c.read.get(m.src.repo, ref.DigestStr()); ok && !m.mount {
		return static.NewLayer(got.raw, m.src.man.Config.MediaType), nil // read (and hashed) by the plan
	}
	l, err := m.src.c.puller.Layer(m.src.ctx, ref)
	if err != nil {
		return nil, err
	}
	sized := sizedLayer{Layer: l, desc: m.src.man.Config}
	if !m.mount {
		return sized, nil
	}
	return &remote.MountableLayer{Layer: sized, Reference: ref}, nil
}
