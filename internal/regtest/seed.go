package regtest

import (
	"fmt"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// layerSize keeps seeded images tiny: one layer of a few hundred random bytes.
const layerSize = 256

// DefaultPlatforms are the platforms of an index pushed by PushIndex when
// none are given.
var DefaultPlatforms = []string{"linux/amd64", "linux/arm64"}

// Pusher seeds a registry, with credentials when Auth is set. The zero
// Pusher is anonymous; the package-level PushImage, PushIndex and Tag use it.
// References must name a loopback registry, which go-containerregistry
// speaks to over plain HTTP.
type Pusher struct {
	// Auth authenticates every request; nil means anonymous.
	Auth authn.Authenticator
}

// As returns a Pusher that authenticates with HTTP basic credentials.
func As(user, password string) Pusher {
	return Pusher{Auth: &authn.Basic{Username: user, Password: password}}
}

// ImageOption configures an image pushed by PushImage.
type ImageOption func(*imageConfig)

type imageConfig struct {
	platform string
	docker   bool
}

// WithPlatform sets the image config's os, architecture and variant
// ("linux/arm64/v8"). The default is linux/amd64.
func WithPlatform(platform string) ImageOption {
	return func(c *imageConfig) { c.platform = platform }
}

// WithDockerMediaTypes makes the image a Docker schema 2 manifest instead of
// an OCI one.
func WithDockerMediaTypes() ImageOption {
	return func(c *imageConfig) { c.docker = true }
}

// PushImage pushes a small random single-platform image anonymously and
// returns its manifest digest. See Pusher.PushImage.
func PushImage(t testing.TB, ref string, opts ...ImageOption) v1.Hash {
	t.Helper()
	return Pusher{}.PushImage(t, ref, opts...)
}

// PushIndex pushes a random multi-platform OCI index anonymously and returns
// its digest. See Pusher.PushIndex.
func PushIndex(t testing.TB, ref string, platforms ...string) v1.Hash {
	t.Helper()
	return Pusher{}.PushIndex(t, ref, platforms...)
}

// Tag points dst at the manifest src names, anonymously. See Pusher.Tag.
func Tag(t testing.TB, src, dst string) {
	t.Helper()
	Pusher{}.Tag(t, src, dst)
}

// PushImage pushes a small random single-platform image (OCI media types
// unless WithDockerMediaTypes) to ref and returns its manifest digest. Every
// call makes a different image.
func (p Pusher) PushImage(t testing.TB, ref string, opts ...ImageOption) v1.Hash {
	t.Helper()
	cfg := imageConfig{platform: "linux/amd64"}
	for _, o := range opts {
		o(&cfg)
	}
	r := parseRef(t, ref)
	img, err := randomImage(cfg)
	if err != nil {
		t.Fatalf("making image for %s: %v", ref, err)
	}
	if err := remote.Write(r, img, p.options(t)...); err != nil {
		t.Fatalf("pushing image %s: %v", ref, err)
	}
	return digestOf(t, img)
}

// PushIndex pushes an OCI image index to ref with one small random image per
// platform (DefaultPlatforms when none are given). Each image's config carries
// its os and architecture, and each index descriptor its platform. It returns
// the index digest.
func (p Pusher) PushIndex(t testing.TB, ref string, platforms ...string) v1.Hash {
	t.Helper()
	if len(platforms) == 0 {
		platforms = DefaultPlatforms
	}
	r := parseRef(t, ref)
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, s := range platforms {
		plat, err := v1.ParsePlatform(s)
		if err != nil {
			t.Fatalf("parsing platform %q: %v", s, err)
		}
		img, err := randomImage(imageConfig{platform: s})
		if err != nil {
			t.Fatalf("making %s image for %s: %v", s, ref, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: plat},
		})
	}
	if err := remote.WriteIndex(r, idx, p.options(t)...); err != nil {
		t.Fatalf("pushing index %s: %v", ref, err)
	}
	return digestOf(t, idx)
}

// Tag points the tag dst at the manifest that src (a tag or digest reference)
// names, by putting src's manifest bytes with their media type: no blob moves,
// and the digest stays the same.
func (p Pusher) Tag(t testing.TB, src, dst string) {
	t.Helper()
	s := parseRef(t, src)
	d := parseRef(t, dst)
	desc, err := remote.Get(s, p.options(t)...)
	if err != nil {
		t.Fatalf("getting manifest %s: %v", src, err)
	}
	if err := remote.Put(d, desc, p.options(t)...); err != nil {
		t.Fatalf("putting manifest %s at %s: %v", src, dst, err)
	}
}

func (p Pusher) options(t testing.TB) []remote.Option {
	opts := []remote.Option{remote.WithContext(t.Context())}
	if p.Auth != nil {
		opts = append(opts, remote.WithAuth(p.Auth))
	}
	return opts
}

func parseRef(t testing.TB, ref string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(ref, name.StrictValidation)
	if err != nil {
		t.Fatalf("parsing reference %q: %v", ref, err)
	}
	return r
}

func digestOf(t testing.TB, m interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := m.Digest()
	if err != nil {
		t.Fatalf("computing digest: %v", err)
	}
	return h
}

// randomImage is one random layer of layerSize bytes with the config's
// platform set.
func randomImage(cfg imageConfig) (v1.Image, error) {
	plat, err := v1.ParsePlatform(cfg.platform)
	if err != nil {
		return nil, fmt.Errorf("parsing platform %q: %w", cfg.platform, err)
	}
	manifestType, configType, layerType := types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer
	if cfg.docker {
		manifestType, configType, layerType = types.DockerManifestSchema2, types.DockerConfigJSON, types.DockerLayer
	}
	layer, err := random.Layer(layerSize, layerType)
	if err != nil {
		return nil, fmt.Errorf("making layer: %w", err)
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, manifestType), configType)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, fmt.Errorf("appending layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant, cf.OSVersion = plat.OS, plat.Architecture, plat.Variant, plat.OSVersion
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("setting platform %s: %w", cfg.platform, err)
	}
	return img, nil
}

// Raw reads ref's manifest with go-containerregistry alone, independently of
// tagguard, and returns its digest and exact bytes.
func (p Pusher) Raw(t testing.TB, ref string) (string, []byte) {
	t.Helper()
	d, err := remote.Get(parseRef(t, ref), p.options(t)...)
	if err != nil {
		t.Fatalf("reading %s: %v", ref, err)
	}
	return d.Digest.String(), d.Manifest
}

// Raw is Pusher.Raw without credentials.
func Raw(t testing.TB, ref string) (string, []byte) {
	t.Helper()
	return Pusher{}.Raw(t, ref)
}
