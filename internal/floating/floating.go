// Package floating tells whether a floating tag (latest, 1, 1.2) found away
// from its recorded digest has advanced along its line — a newer release
// moved it forward, as intended — or drifted. restore leaves an advanced
// tag where it is and audit reports it ok; anything else is drift. The rule
// itself is policy.Line.AdvanceCandidates; this package reads what it
// needs: the repository's tag list (once per repository) and a HEAD of
// each candidate.
package floating

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/registry"
)

// Registry is what the judge reads.
type Registry interface {
	Tags(ctx context.Context, repo name.Repository) ([]string, error)
	Resolve(ctx context.Context, ref name.Reference) (registry.Descriptor, error)
}

// Judge answers for many tags, listing each repository's tags once. It is
// safe for concurrent use.
type Judge struct {
	reg   Registry
	mu    sync.Mutex
	lists map[string]*list
}

type list struct {
	once sync.Once
	tags []string
	err  error
}

// New returns a Judge reading reg.
func New(reg Registry) *Judge { return &Judge{reg: reg, lists: map[string]*list{}} }

// IsFloating reports whether tag is a floating tag: latest, a bare major
// or a major.minor.
func IsFloating(tag name.Tag) bool { return policy.Policy{}.Kind(tag.TagStr()) == policy.Floating }

// Advanced says whether the floating tag, recorded as version since (nil
// when unknown), now at digest now, points at a newer version on its line:
// that version's tag when it does, "" when it does not (drift).
func (j *Judge) Advanced(ctx context.Context, tag name.Tag, since *semver.Version, now string) (string, error) {
	line, ok := policy.LineOf(tag.TagStr())
	if !ok || now == "" {
		return "", nil
	}
	tags, err := j.tags(ctx, tag.Context())
	if err != nil {
		return "", fmt.Errorf("listing the tags of %s to tell whether %s advanced: %w", tag.Context(), tag.TagStr(), err)
	}
	for _, c := range line.AdvanceCandidates(tags, since) {
		d, err := j.reg.Resolve(ctx, tag.Context().Tag(c.Tag))
		switch {
		case errors.Is(err, registry.ErrNotFound):
			continue // gone since the list: no evidence either way
		case err != nil:
			return "", err
		}
		if d.Digest.String() == now {
			return c.Tag, nil
		}
	}
	return "", nil
}

func (j *Judge) tags(ctx context.Context, repo name.Repository) ([]string, error) {
	j.mu.Lock()
	l := j.lists[repo.String()]
	if l == nil {
		l = &list{}
		j.lists[repo.String()] = l
	}
	j.mu.Unlock()
	l.once.Do(func() { l.tags, l.err = j.reg.Tags(ctx, repo) })
	return l.tags, l.err
}

// RecordedVersion is the version a floating tag was recorded with: the
// highest version tag of the same repository, on the floating tag's line,
// that the same ledger recorded at the same digest. nil when the ledger
// recorded none: then no move of the tag counts as an advance.
func RecordedVersion(images []ledger.Image, tag name.Tag, digest string) *semver.Version {
	line, ok := policy.LineOf(tag.TagStr())
	if !ok {
		return nil
	}
	var best *semver.Version
	for _, im := range images {
		if im.Digest != digest {
			continue
		}
		t, err := name.NewTag(im.Ref, name.WeakValidation)
		if err != nil || t.Context().String() != tag.Context().String() || strings.EqualFold(t.TagStr(), tag.TagStr()) {
			continue
		}
		if v, ok := policy.ParseVersion(t.TagStr()); ok && line.Contains(v) && (best == nil || v.GreaterThan(best)) {
			best = v
		}
	}
	return best
}
