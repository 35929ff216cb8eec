package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/errkind"
)

// Reader reads what a reference points at (Client.Resolve, one HEAD) and
// a manifest's bytes (Client.Manifest, one GET, hashed).
type Reader interface {
	Resolve(ctx context.Context, ref name.Reference) (Descriptor, error)
	Manifest(ctx context.Context, ref name.Reference) (Manifest, error)
}

// MaxDepth bounds how deep indexes may nest inside an index: buildx and
// the OCI layout nest at most once or twice; deeper is refused, never
// judged from its top.
const MaxDepth = 4

// MissingChildren says which manifests the index m (in repo at digest)
// names, at any depth, are gone: "" when all are there. An image child is
// one HEAD; an index child is read (one GET, hashed) and walked in turn,
// one at a time (callers already fan out over indexes). A pruned platform
// makes a tag unpullable, and a write of the index fail half-way: restore,
// promote and audit all ask this before they trust an index. Nesting past
// MaxDepth is bad input.
func MissingChildren(ctx context.Context, r Reader, index name.Digest, m Manifest) (string, error) {
	var gone []string
	if err := walk(ctx, r, index, m, 1, &gone); err != nil {
		return "", err
	}
	if len(gone) == 0 {
		return "", nil
	}
	return fmt.Sprintf("index %s is in %s, but manifests it names are not: %s", index.DigestStr(), index.Context(), strings.Join(gone, ", ")), nil
}

func walk(ctx context.Context, r Reader, index name.Digest, m Manifest, depth int, gone *[]string) error {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(m.Raw))
	if err != nil {
		return errkind.New(errkind.Remote, fmt.Errorf("reading index %s: %w", index, err))
	}
	for _, d := range idx.Manifests {
		if err := ctx.Err(); err != nil {
			return err
		}
		child := index.Context().Digest(d.Digest.String())
		what := d.Digest.String()
		if d.Platform != nil {
			what = d.Platform.String() + " " + what
		}
		if depth > 1 {
			what += " (inside " + index.DigestStr() + ")"
		}
		if !d.MediaType.IsIndex() {
			_, err := r.Resolve(ctx, child)
			switch {
			case errors.Is(err, ErrNotFound):
				*gone = append(*gone, what)
			case err != nil:
				return err
			}
			continue
		}
		if depth >= MaxDepth {
			return errkind.BadInputf("index %s in %s nests indexes more than %d deep: refused (no build tool nests that deep; re-push it flattened)", index.DigestStr(), index.Context(), MaxDepth)
		}
		cm, err := r.Manifest(ctx, child)
		switch {
		case errors.Is(err, ErrNotFound):
			*gone = append(*gone, what)
		case err != nil:
			return err
		default:
			if err := walk(ctx, r, child, cm, depth+1, gone); err != nil {
				return err
			}
		}
	}
	return nil
}
