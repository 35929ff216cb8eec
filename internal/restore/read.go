package restore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/floating"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/refs"
)

// targets reads the source (a ledger file or a release's notes; pins are
// read as they are) into the targets, refusing any that does not parse.
// Validate has checked the options. Nothing here writes.
func targets(ctx context.Context, o Options) (source string, evidence load.Loaded, ts []target, err error) {
	var bad []error
	switch {
	case len(o.Pins) > 0:
		source = "--pin"
		for _, p := range o.Pins {
			t, d, err := refs.ParsePin(p)
			if err != nil {
				bad = append(bad, err)
				continue
			}
			ts = append(ts, target{tag: t, digest: d})
		}
	default:
		got, err := loadLedger(ctx, o)
		if err != nil {
			return "", got, nil, err
		}
		l := got.Ledger
		source, evidence = got.From, got
		for i, im := range l.Images {
			t, err := refs.ParseTag(im.Ref)
			if err != nil {
				bad = append(bad, fmt.Errorf("ledger image %d: %w", i, err))
				continue
			}
			d, err := refs.ParseDigest(im.Digest)
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
		return "", evidence, nil, errkind.New(errkind.BadInput, errors.Join(bad...))
	}
	all := len(ts)
	if all == 0 && len(o.Tags) == 0 {
		// An audit's drift ledger on a clean day, an undo ledger of a
		// restore that only created tags: nothing to do, not bad input.
		return source, evidence, nil, nil
	}
	if len(o.Tags) > 0 {
		var kept []target
		for _, t := range ts {
			if policy.MatchRef(o.Tags, t.tag.TagStr(), refSpellings(t.tag)...) {
				kept = append(kept, t)
			}
		}
		ts = kept
	}
	if len(ts) == 0 {
		return "", evidence, nil, errkind.BadInputf("nothing to restore: --tags %s matches none of the %d tags in %s (a glob matches tag names; one holding / matches whole references, e.g. 'ghcr.io/org/app:*')", strings.Join(o.Tags, ","), all, source)
	}
	return source, evidence, ts, nil
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

// loadLedger reads the ledger from a file or a release's notes, through the one
// loader restore and audit share.
func loadLedger(ctx context.Context, o Options) (load.Loaded, error) {
	return load.Combine(ctx, o.sources())
}

// refSpellings are the ways a --tags glob may spell a reference: as
// written, normalised, and Docker Hub's as docker.io/.
func refSpellings(t name.Tag) []string {
	out := []string{t.String(), t.Name()}
	if short, ok := strings.CutPrefix(t.Name(), "index.docker.io/"); ok {
		out = append(out, "docker.io/"+short, short, strings.TrimPrefix(short, "library/"))
	}
	return out
}
