package restore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/floating"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/progress"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// preflight fetches every distinct target manifest by digest, once: that
// proves it is still in its repository and gives the exact bytes to put
// back. For an image index it also HEADs every manifest the index names: a
// pruned platform would make the write fail half-way (or leave an index
// that cannot be pulled). Anything missing stops the run before the first
// write: missing maps each target key to what is missing, and why is the
// refusal (exit 1); err is a read that failed (exit 3).
func preflight(ctx context.Context, o Options, ts []target) (manifests map[string]registry.Manifest, missing map[string]string, why string, err error) {
	type result struct {
		m       registry.Manifest
		missing string
		err     error
	}
	keys := map[string]target{}
	for _, t := range ts {
		keys[targetKey(t)] = t
	}
	keyList := slices.Sorted(maps.Keys(keys))
	results := make([]result, len(keyList))
	notStarted := fanout.Each(ctx, o.Jobs, len(keyList), func(i int) {
		res := &results[i]
		t := keys[keyList[i]]
		ref := t.tag.Context().Digest(t.digest.String())
		res.m, res.err = o.Registry.Manifest(ctx, ref)
		if errors.Is(res.err, registry.ErrNotFound) {
			res.missing, res.err = fmt.Sprintf("%s is not in %s", t.digest, t.tag.Context()), nil
		} else if res.err == nil && res.m.MediaType.IsIndex() {
			res.missing, res.err = registry.MissingChildren(ctx, o.Registry, ref, res.m)
		}
	})
	for _, i := range notStarted {
		results[i].err = ctx.Err()
	}
	var errs []error
	manifests, missing = map[string]registry.Manifest{}, map[string]string{}
	for i, res := range results {
		k := keyList[i]
		switch {
		case res.err != nil:
			errs = append(errs, res.err)
		case res.missing != "":
			missing[k] = res.missing
		default:
			manifests[k] = res.m
		}
	}
	if len(missing) > 0 {
		var lines []string
		for _, m := range missing {
			lines = append(lines, m)
		}
		for _, e := range errs {
			lines = append(lines, "could not read: "+report.OneLine(e.Error()))
		}
		sort.Strings(lines)
		return nil, missing, fmt.Sprintf("pre-flight: %d target(s) not complete in their repository (pruned, or never pushed here: rebuild from source); nothing was written:\n  %s",
			len(missing), strings.Join(lines, "\n  ")), nil
	}
	if len(errs) > 0 {
		return nil, nil, "", errkind.New(errkind.Remote, fmt.Errorf("pre-flight could not read %d target manifest(s); nothing was written: %w", len(errs), errors.Join(errs...)))
	}
	return manifests, nil, "", nil
}

func targetKey(t target) string { return t.tag.Context().Digest(t.digest.String()).Name() }

// followLines leaves a floating tag that a newer release moved forward
// where it is (policy.Line.AdvanceCandidates is the rule), unless the
// operator asked to move it back; any other move of it is drift, restored
// as planned.
func followLines(ctx context.Context, o Options, r *Report, all *ledger.Ledger) error {
	judge := floating.New(o.Registry, o.evidence(r, all))
	var errs []error
	var mu sync.Mutex
	fanout.Each(ctx, o.Jobs, len(r.Tags), func(i int) {
		t := &r.Tags[i]
		if t.State != Planned || t.From == "" || !floating.IsFloating(t.target.tag) {
			return
		}
		v, err := judge.Advanced(ctx, t.target.tag, t.target.since, t.From)
		switch {
		case err != nil:
			t.State, t.Reason, t.failure = Failed, "could not tell whether it advanced along its line: "+report.OneLine(err.Error()), err
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		case v.Held && o.AllowBackward:
			t.Reason = "moves back (backward, --allow-backward): " + v.Why
		case v.Held:
			t.State, t.Reason = Held, "left where it is: "+v.Why
		case v.Version == "" && v.Unproven != "":
			t.Reason = v.Unproven
		case v.Version == "":
		case o.AllowBackward:
			t.Reason = fmt.Sprintf("moves back from %s (backward: it advanced since it was recorded): --allow-backward", v.Version)
		default:
			t.State = Advanced
			t.Reason = fmt.Sprintf("left where it is: it advanced to %s since it was recorded, as a newer release meant; --allow-backward moves it back", v.Version)
		}
	})
	if ctx.Err() != nil {
		return errkind.New(errkind.Remote, ctx.Err())
	}
	if len(errs) > 0 {
		return errkind.New(errkind.Remote, errors.Join(errs...))
	}
	return nil
}

// attach reads what is attached to each distinct target digest, for the
// plan: a digest put back brings back what was attached to it, as long as
// that is still there.
func attach(ctx context.Context, o Options, r *Report) error {
	var ds []name.Digest // AttachmentsOf reads each digest once
	for _, t := range r.Tags {
		ds = append(ds, t.target.tag.Context().Digest(t.To))
	}
	found, err := o.Registry.AttachmentsOf(ctx, ds, nil)
	for i := range r.Tags {
		if a, ok := found[oci.AttachedKey(r.Tags[i].target.tag.Context().Digest(r.Tags[i].To))]; ok {
			r.Tags[i].Attached = a.Record()
		}
	}
	return err
}

// evidence is what makes a floating tag's advance believed: the targets'
// own ledger (its records), and with GitHub the newer version's release.
func (o Options) evidence(r *Report, all *ledger.Ledger) floating.Evidence {
	recorded := map[string]bool{}
	for _, t := range r.Tags {
		recorded[t.target.tag.Name()+" "+t.To] = true
	}
	if all != nil {
		// Every record read, not only the --tags subset: --tags latest
		// must still see the ledger's record of 1.1.0.
		for _, im := range all.Images {
			if t, err := refs.Loose(im.Ref); err == nil {
				recorded[t.Name()+" "+im.Digest] = true
			}
		}
	}
	ev := floating.Evidence{Recorded: func(ref, digest string) bool { return recorded[ref+" "+digest] }}
	if o.GitHub != nil && o.Event.Repository != "" {
		ev.Release = floating.ReleaseLedgers(o.GitHub, o.Event.Repository)
		ev.Complete = true // any version's release can be looked up
	}
	return ev
}

// readTags reads where each tag points now.
func readTags(ctx context.Context, o Options, r *Report) error {
	progress.Expect(ctx, "reading tags", len(r.Tags))
	notStarted := fanout.Each(ctx, o.Jobs, len(r.Tags), func(i int) {
		defer progress.Done(ctx, 1)
		t := &r.Tags[i]
		d, err := o.Registry.Resolve(ctx, t.target.tag)
		t.read = err == nil || errors.Is(err, registry.ErrNotFound)
		switch {
		case errors.Is(err, registry.ErrNotFound):
			t.From, t.State = "", Planned
		case err != nil:
			t.State, t.Reason, t.failure = Failed, report.OneLine(err.Error()), err
		case d.Digest == t.target.digest:
			t.From, t.State, t.Reason = d.Digest.String(), Unchanged, "already at the target"
		default:
			t.From, t.State = d.Digest.String(), Planned
		}
	})
	for _, i := range notStarted {
		t := &r.Tags[i]
		t.State, t.Reason, t.failure = Failed, "not read: "+ctx.Err().Error(), ctx.Err()
	}
	var errs []error
	for _, t := range r.Tags {
		if t.failure != nil {
			errs = append(errs, t.failure)
		}
	}
	if len(errs) > 0 {
		return errkind.New(errkind.Remote, errors.Join(errs...))
	}
	return nil
}
