package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/oci"
)

// Reader reads what a reference points at (Client.Resolve, one HEAD) and
// a manifest's bytes (Client.Manifest, one GET, hashed and bounded).
type Reader interface {
	Resolve(ctx context.Context, ref name.Reference) (Descriptor, error)
	Manifest(ctx context.Context, ref name.Reference) (Manifest, error)
}

// MaxDepth bounds how deep indexes may nest inside an index: buildx and
// the OCI layout nest at most once or twice; deeper is refused, never
// judged from its top.
const MaxDepth = 4

// MaxNodes bounds the manifests one index may name at every depth
// together: what one walk reads, whatever the nesting.
const MaxNodes = oci.MaxChildren

// MissingChildren says which manifests the index m (in repo at digest)
// names, at any depth, are gone: "" when all are there. An image child is
// one HEAD; an index child (by the registry's word, whatever the parent's
// label says) is read (one GET, hashed and bounded) and walked in turn,
// each distinct digest once. A pruned platform makes a tag unpullable, and
// a write of the index fail half-way: restore, promote and audit all ask
// this before they trust an index. Nesting past MaxDepth, or more than
// MaxNodes manifests, is bad input.
func MissingChildren(ctx context.Context, r Reader, index name.Digest, m Manifest) (string, error) {
	w := &walker{r: r, seen: map[string]bool{}}
	if err := w.walk(ctx, index, m, 1); err != nil {
		return "", err
	}
	if len(w.gone) == 0 {
		return "", nil
	}
	return fmt.Sprintf("index %s is in %s, but manifests it names are not: %s", index.DigestStr(), index.Context(), strings.Join(w.gone, ", ")), nil
}

// Vet reads every manifest the index m names, at any depth (one GET each,
// each distinct digest once), so each is hashed and held to the bounds on
// size, layers and entries before anything is copied: go-containerregistry
// would otherwise read a grandchild with ten thousand layers once per
// layer. A missing child is ErrNotFound.
func Vet(ctx context.Context, r Reader, index name.Digest, m Manifest) error {
	w := &walker{r: r, seen: map[string]bool{}, read: true}
	if err := w.walk(ctx, index, m, 1); err != nil {
		return err
	}
	if len(w.gone) > 0 {
		return fmt.Errorf("index %s names manifests that are not in %s: %s: %w", index.DigestStr(), index.Context(), strings.Join(w.gone, ", "), ErrNotFound)
	}
	return nil
}

type walker struct {
	r    Reader
	seen map[string]bool
	read bool // GET every child, not only indexes
	gone []string
}

func (w *walker) walk(ctx context.Context, index name.Digest, m Manifest, depth int) error {
	entries, err := oci.Entries(m.Raw)
	if err != nil {
		return errkind.New(errkind.Remote, fmt.Errorf("reading index %s: %w", index, err))
	}
	for _, d := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if w.seen[d.Digest.String()] {
			continue
		}
		w.seen[d.Digest.String()] = true
		if len(w.seen) > MaxNodes {
			return errkind.BadInputf("index %s in %s names more than %d manifests at every depth together: refused", index.DigestStr(), index.Context(), MaxNodes)
		}
		child := index.Context().Digest(d.Digest.String())
		what := d.Digest.String()
		if d.Platform != nil {
			what = d.Platform.String() + " " + what
		}
		if depth > 1 {
			what += " (inside " + index.DigestStr() + ")"
		}
		mt := d.MediaType
		if !mt.IsIndex() && !w.read {
			desc, err := w.r.Resolve(ctx, child)
			switch {
			case errors.Is(err, ErrNotFound):
				w.gone = append(w.gone, what)
				continue
			case err != nil:
				return err
			}
			mt = desc.MediaType // the registry's word, not the parent's label
		}
		if !mt.IsIndex() && !w.read {
			continue
		}
		cm, err := w.r.Manifest(ctx, child)
		switch {
		case errors.Is(err, ErrNotFound):
			w.gone = append(w.gone, what)
			continue
		case err != nil:
			return err
		}
		if !cm.MediaType.IsIndex() {
			continue
		}
		if depth >= MaxDepth {
			return errkind.BadInputf("index %s in %s nests indexes more than %d deep: refused (no build tool nests that deep; re-push it flattened)", index.DigestStr(), index.Context(), MaxDepth)
		}
		if err := w.walk(ctx, child, cm, depth+1); err != nil {
			return err
		}
	}
	return nil
}
