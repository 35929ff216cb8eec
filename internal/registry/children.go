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

// Resolver reads what a reference points at: Client.Resolve.
type Resolver interface {
	Resolve(ctx context.Context, ref name.Reference) (Descriptor, error)
}

// MissingChildren HEADs every manifest the index m (in repo at digest)
// names, one at a time (callers already fan out over indexes), and says
// which are gone: "" when all are there. A pruned platform makes a tag
// unpullable, and a write of the index fail half-way: restore, promote
// and audit all ask this before they trust an index.
func MissingChildren(ctx context.Context, r Resolver, index name.Digest, m Manifest) (string, error) {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(m.Raw))
	if err != nil {
		return "", errkind.New(errkind.Remote, fmt.Errorf("reading index %s: %w", index, err))
	}
	var gone []string
	for _, d := range idx.Manifests {
		_, err := r.Resolve(ctx, index.Context().Digest(d.Digest.String()))
		switch {
		case errors.Is(err, ErrNotFound):
			what := d.Digest.String()
			if d.Platform != nil {
				what = d.Platform.String() + " " + what
			}
			gone = append(gone, what)
		case err != nil:
			return "", err
		}
	}
	if len(gone) == 0 {
		return "", nil
	}
	return fmt.Sprintf("index %s is in %s, but manifests it names are not: %s", index.DigestStr(), index.Context(), strings.Join(gone, ", ")), nil
}
