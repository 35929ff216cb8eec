// Package floating tells whether a floating tag (latest, 1, 1.2) found away
// from its recorded digest has advanced along its line — a newer release
// moved it forward, as intended — or drifted. restore leaves an advanced
// tag where it is and audit reports it ok; anything else is drift. The rule
// itself is policy.Line.AdvanceCandidates; this package reads what it
// needs: the repository's tag list (once per repository) for the
// candidates, and the evidence that a candidate is a release at that
// digest — a ledger read, or the candidate's release on GitHub. A HEAD
// alone proves nothing: a hand push controls the tags.
package floating

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/registry"
)

// Registry is what the judge reads.
type Registry interface {
	Tags(ctx context.Context, repo name.Repository) ([]string, error)
	Resolve(ctx context.Context, ref name.Reference) (registry.Descriptor, error)
}

// Evidence is what makes an advance believed: a tag list and a HEAD are
// what a hand push controls, so the newer version must be recorded — by a
// ledger this run read, or by that version's release — at the digest the
// floating tag now holds.
type Evidence struct {
	// Recorded reports whether a ledger read by this run records ref (a
	// name.Tag's Name) at digest.
	Recorded func(ref, digest string) bool
	// Release, when set, is the ledger in the notes of the release of a
	// version (its tag, with or without v); nil, nil when there is none.
	Release func(ctx context.Context, tag string) (*ledger.Ledger, error)
	// Complete says every release could be read (all of them were, or
	// Release can look any one up): a newer version that no record
	// confirms was then pushed by hand. With partial evidence (ledger
	// files, one release without GitHub) it may be a release this run did
	// not read: the tag is held, never dragged back silently.
	Complete bool
}

// Verdict is what Advanced found.
type Verdict struct {
	// Version is the newer version the tag advanced to, when a record
	// confirms it.
	Version string
	// Unproven says why a tag at a newer version's digest is not taken
	// for an advance (complete evidence: drift).
	Unproven string
	// Held: the tag points where a newer version on its line does, which
	// no record read confirms, and the evidence is partial; Why says so.
	Held bool
	Why  string
}

// Judge answers for many tags, listing each repository's tags once. It is
// safe for concurrent use.
type Judge struct {
	reg Registry
	ev  Evidence
	// lists are the repositories' tag lists, each read once a run (a list
	// that could not be read is kept, as every tag of it fails alike).
	lists fanout.Memo[string, []string]
}

// New returns a Judge reading reg, believing an advance on ev.
func New(reg Registry, ev Evidence) *Judge {
	return &Judge{reg: reg, ev: ev, lists: fanout.Memo[string, []string]{KeepFailures: true}}
}

// IsFloating reports whether tag is a floating tag: latest, a bare major
// or a major.minor.
func IsFloating(tag name.Tag) bool { return policy.Policy{}.Kind(tag.TagStr()) == policy.Floating }

// Advanced says whether the floating tag, recorded as version since (nil
// when unknown), now at digest now, points at a newer version on its line
// that a ledger records at that digest: that version's tag when it does.
// When the registry shows the tag at a newer version's digest but nothing
// records that version there, version is "" (drift) and unproven says so:
// a hand push of a version tag must not pass for a release.
func (j *Judge) Advanced(ctx context.Context, tag name.Tag, since *semver.Version, now string) (Verdict, error) {
	line, ok := policy.LineOf(tag.TagStr())
	if !ok || now == "" {
		return Verdict{}, nil
	}
	tags, err := j.tags(ctx, tag.Context())
	if err != nil {
		return Verdict{}, fmt.Errorf("listing the tags of %s to tell whether %s advanced: %w", tag.Context(), tag.TagStr(), err)
	}
	var v Verdict
	for _, c := range line.AdvanceCandidates(tags, since) {
		ref := tag.Context().Tag(c.Tag)
		if j.ev.Recorded != nil && j.ev.Recorded(ref.Name(), now) {
			return Verdict{Version: c.Tag}, nil
		}
		if j.ev.Release != nil {
			l, err := j.ev.Release(ctx, c.Tag)
			if err != nil {
				return Verdict{}, err
			}
			if records(l, ref, now) {
				return Verdict{Version: c.Tag}, nil
			}
		}
		d, err := j.reg.Resolve(ctx, ref)
		switch {
		case errors.Is(err, registry.ErrNotFound):
			continue
		case err != nil:
			return Verdict{}, err
		}
		if d.Digest.String() != now || v.Unproven != "" || v.Held {
			continue
		}
		if j.ev.Complete {
			v.Unproven = fmt.Sprintf("it now points where %s does, but no ledger read (nor %s's release) records %s there, so it is not taken for an advance: a version tag pushed by hand is not a release", c.Tag, c.Tag, c.Tag)
		} else {
			v.Held, v.Why = true, fmt.Sprintf("it now points where %s does, a newer version on its line that no ledger this run read records: that may be a release this run did not read, so it is held, not moved back; give that release's ledger (--from-ledger, or read the releases with a GitHub token), or move it back on purpose with --allow-backward", c.Tag)
		}
	}
	return v, nil
}

// records reports whether l records ref at digest.
func records(l *ledger.Ledger, ref name.Tag, digest string) bool {
	if l == nil {
		return false
	}
	for _, im := range l.Images {
		if im.Digest != digest {
			continue
		}
		if t, err := refs.Loose(im.Ref); err == nil && t.Name() == ref.Name() {
			return true
		}
	}
	return false
}

// ReleaseLedgers looks a version's release up on GitHub (tag v1.2.3, then
// 1.2.3) and reads the ledger in its notes, once per version: the Release
// of an Evidence. A release without a readable ledger is no evidence.
func ReleaseLedgers(gh load.Releases, repository string) func(ctx context.Context, tag string) (*ledger.Ledger, error) {
	owner, repo, _ := strings.Cut(repository, "/")
	var memo fanout.Memo[string, *ledger.Ledger] // a release read once; a failed read asked again
	return func(ctx context.Context, tag string) (*ledger.Ledger, error) {
		l, _, err := memo.Do(ctx, tag, func() (*ledger.Ledger, error) {
			for _, t := range []string{"v" + strings.TrimPrefix(tag, "v"), strings.TrimPrefix(tag, "v")} {
				rel, err := gh.FindRelease(ctx, owner, repo, t)
				if errors.Is(err, githubapi.ErrReleaseNotFound) {
					continue
				}
				if err != nil {
					return nil, err
				}
				// Read as restore reads a release: the asset first. A
				// release whose notes disagree with its asset, or a draft
				// (anyone with write access can make one), confirms
				// nothing.
				got, ok, rerr := load.ReadRelease(ctx, gh, owner, repo, rel)
				if rerr != nil && errkind.Of(rerr) == errkind.Remote {
					return nil, rerr
				}
				if ok && rerr == nil && len(got.Tampered) == 0 && !rel.Draft {
					return got.Ledger, nil
				}
				return nil, nil
			}
			return nil, nil
		})
		return l, err
	}
}

func (j *Judge) tags(ctx context.Context, repo name.Repository) ([]string, error) {
	tags, _, err := j.lists.Do(ctx, repo.String(), func() ([]string, error) { return j.reg.Tags(ctx, repo) })
	return tags, err
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
		t, err := refs.Loose(im.Ref)
		if err != nil || t.Context().String() != tag.Context().String() || strings.EqualFold(t.TagStr(), tag.TagStr()) {
			continue
		}
		if v, ok := policy.ParseVersion(t.TagStr()); ok && line.Contains(v) && (best == nil || v.GreaterThan(best)) {
			best = v
		}
	}
	return best
}
