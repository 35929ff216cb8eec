package demo

import (
	"context"
	"fmt"
	"math/rand"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// buildImage makes a small image for platform, the same bytes for a seed.
func buildImage(seed int64, platform string) (v1.Image, error) {
	os, arch, _ := strings.Cut(platform, "/")
	img, err := random.Image(256, 1, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		return nil, fmt.Errorf("building image: %w", err)
	}
	img = mutate.MediaType(mutate.ConfigMediaType(img, types.OCIConfigJSON), types.OCIManifestSchema1)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("building image: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = os, arch
	return mutate.ConfigFile(img, cf)
}

// pushByDigest pushes img to repo without a tag, as a push-by-digest build
// does, and returns REPO@sha256:….
func pushByDigest(ctx context.Context, img v1.Image, repo string) (string, error) {
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	ref, err := name.NewDigest(repo + "@" + d.String())
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	return ref.String(), nil
}

// buildIndex makes a small multi-platform OCI index. The seed makes the bytes
// (and so the digests) the same on every run.
func buildIndex(seed int64, platforms ...string) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for i, p := range platforms {
		os, arch, _ := strings.Cut(p, "/")
		img, err := random.Image(256, 1, random.WithSource(rand.NewSource(seed*100+int64(i))))
		if err != nil {
			return nil, fmt.Errorf("building image: %w", err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("building image: %w", err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = os, arch
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			return nil, fmt.Errorf("building image: %w", err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: os, Architecture: arch}},
		})
	}
	return idx, nil
}

// push writes idx to the first ref and points the other refs at it, as a
// build-push-action with several tags does.
func push(ctx context.Context, idx v1.ImageIndex, refs ...string) (string, error) {
	for _, r := range refs {
		ref, err := name.ParseReference(r)
		if err != nil {
			return "", err
		}
		if err := remote.WriteIndex(ref, idx, remote.WithContext(ctx)); err != nil {
			return "", fmt.Errorf("pushing %s: %w", r, err)
		}
	}
	d, err := idx.Digest()
	return d.String(), err
}
