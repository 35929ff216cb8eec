// Package restore re-points tags at recorded digests with registry API calls
// alone: every target is validated, every digest proven present, and the
// plan made before the first write; each write puts the recorded manifest's
// exact bytes back, and each tag is read again afterwards.
package restore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/floating"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/ledgers"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/registry"
)

// Registry is what restore reads and writes.
type Registry interface {
	ParseTag(s string) (name.Tag, error)
	ParsePin(s string) (name.Tag, v1.Hash, error)
	Resolve(ctx context.Context, ref name.Reference) (registry.Descriptor, error)
	Manifest(ctx context.Context, ref name.Reference) (registry.Manifest, error)
	Put(ctx context.Context, tag name.Tag, m registry.Manifest) error
	// Tags lists a repository's tags: whether a floating tag advanced.
	Tags(ctx context.Context, repo name.Repository) ([]string, error)
}

// Releases finds the release whose notes hold a ledger.
type Releases = ledgers.Releases

// Options is one restore run. Exactly one of FromRelease, FromLedger and Pins
// is the source.
type Options struct {
	FromRelease string
	FromLedgers []string // ledger files; restore takes one
	Pins        []string
	Tags        []string // globs over tag names; empty means all
	// AllowBackward moves a floating tag back even when it has advanced
	// along its line since it was recorded (rolling latest back on purpose).
	AllowBackward bool
	Event         event.Context // the repository of FromRelease
	Jobs          int
	Registry      Registry
	GitHub        Releases
	ReadFile      func(string) ([]byte, error)
	// WriteGrace is how long writes in flight may take to finish after an
	// interrupt; default 30s.
	WriteGrace time.Duration
}

// target is one tag to point at one digest.
type target struct {
	tag        name.Tag
	digest     v1.Hash
	recordedIn string          // where a gathered ledger says the digest was recorded
	since      *semver.Version // a floating tag's version as the ledger recorded it
}

// targets reads and validates the source. Nothing here writes.
func targets(ctx context.Context, o Options) (source string, ts []target, err error) {
	n := 0
	for _, set := range []bool{o.FromRelease != "", len(o.FromLedgers) > 0, len(o.Pins) > 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		return "", nil, errkind.BadInputf("give exactly one source: --from-release TAG, --from-ledger PATH or --pin REPO:TAG@sha256:… (got %d)", n)
	}
	for _, g := range o.Tags {
		if err := policy.ValidGlob(g); err != nil {
			return "", nil, errkind.BadInputf("--tags: %v", err)
		}
	}
	var bad []error
	switch {
	case len(o.Pins) > 0:
		source = "--pin"
		for _, p := range o.Pins {
			t, d, err := o.Registry.ParsePin(p)
			if err != nil {
				bad = append(bad, err)
				continue
			}
			ts = append(ts, target{tag: t, digest: d})
		}
	default:
		l, src, err := load(ctx, o)
		if err != nil {
			return "", nil, err
		}
		source = src
		for i, im := range l.Images {
			t, err := o.Registry.ParseTag(im.Ref)
			if err != nil {
				bad = append(bad, fmt.Errorf("ledger image %d: %w", i, err))
				continue
			}
			d, err := registry.ParseDigest(im.Digest)
			if err != nil {
				bad = append(bad, fmt.Errorf("ledger image %d: %w", i, err))
				continue
			}
			ts = append(ts, target{tag: t, digest: d, recordedIn: im.RecordedIn, since: floating.RecordedVersion(l.Images, t, im.Digest)})
		}
	}
	ts, err = dedupe(ts)
	if err != nil {
		bad = append(bad, err)
	}
	if len(bad) > 0 {
		return "", nil, errkind.New(errkind.BadInput, errors.Join(bad...))
	}
	all := len(ts)
	if all == 0 {
		return "", nil, errkind.BadInputf("nothing to restore: %s holds no images", source)
	}
	if len(o.Tags) > 0 {
		var kept []target
		for _, t := range ts {
			if policy.MatchAny(o.Tags, t.tag.TagStr()) {
				kept = append(kept, t)
			}
		}
		ts = kept
	}
	if len(ts) == 0 {
		return "", nil, errkind.BadInputf("nothing to restore: --tags %s matches none of the %d tags in %s", strings.Join(o.Tags, ","), all, source)
	}
	return source, ts, nil
}

// dedupe drops repeated targets and refuses one tag asked to be two digests.
func dedupe(ts []target) ([]target, error) {
	seen := map[string]v1.Hash{}
	var out []target
	var bad []error
	for _, t := range ts {
		if d, ok := seen[t.tag.Name()]; ok {
			if d != t.digest {
				bad = append(bad, fmt.Errorf("%s is asked to point at both %s and %s", t.tag, d, t.digest))
			}
			continue
		}
		seen[t.tag.Name()] = t.digest
		out = append(out, t)
	}
	return out, errors.Join(bad...)
}

// load reads the ledger from a file or a release's notes, through the one
// loader restore and audit share.
func load(ctx context.Context, o Options) (*ledger.Ledger, string, error) {
	if len(o.FromLedgers) > 1 {
		return nil, "", errkind.BadInputf("restore takes one ledger file, got %d: merge them, or restore from each in turn", len(o.FromLedgers))
	}
	src := ledgers.Sources{Files: o.FromLedgers, Release: o.FromRelease, Repository: o.Event.Repository, ReadFile: o.ReadFile}
	if o.GitHub != nil {
		src.GitHub = o.GitHub
	}
	var l *ledger.Ledger
	var from string
	_, err := ledgers.Each(ctx, src, func(got ledgers.Loaded) error {
		l, from = got.Ledger, got.From
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return l, from, nil
}
