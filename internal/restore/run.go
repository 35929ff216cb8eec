package restore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// defaultWriteGrace is how long writes already in flight may take to finish
// after an interrupt: a PUT cut off half-way would leave the tag's state
// unknown.
const defaultWriteGrace = 30 * time.Second

// Run restores the targets of o and returns the report. The error's kind is
// the exit code: bad input (2), a pre-flight refusal (1), a registry failure
// with nothing changed (3), or a restore partly applied (4).
func Run(ctx context.Context, o Options) (*Report, error) {
	source, ts, err := targets(ctx, o)
	if err != nil {
		return nil, err
	}
	r := &Report{Command: "restore", Source: source, DryRun: o.DryRun}
	for _, t := range ts {
		r.Tags = append(r.Tags, Tag{Ref: t.tag.String(), To: t.digest.String(), target: t})
	}

	manifests, missing, err := preflight(ctx, o, ts)
	if err != nil {
		for i := range r.Tags {
			t := &r.Tags[i]
			t.State, t.Reason = Skipped, "not started: the pre-flight refused"
			if m, ok := missing[targetKey(t.target)]; ok {
				t.Reason = "pre-flight: " + m + " (pruned, or never pushed here: rebuild from source)"
			}
		}
		r.finish("pre-flight refused: nothing was written")
		return r, err
	}
	if err := plan(ctx, o, r); err != nil {
		r.finish("could not read the tags' current digests: nothing was written")
		return r, err
	}
	if o.DryRun {
		r.finish("")
		return r, nil
	}
	apply(ctx, o, r, manifests)
	r.finish("")
	return r, r.err()
}

// preflight fetches every distinct target manifest by digest, once: that
// proves it is still in its repository and gives the exact bytes to put
// back. For an image index it also HEADs every manifest the index names: a
// pruned platform would make the write fail half-way (or leave an index
// that cannot be pulled). Anything missing stops the run before the first
// write; missing maps each target key to what is missing.
func preflight(ctx context.Context, o Options, ts []target) (manifests map[string]registry.Manifest, missing map[string]string, err error) {
	type result struct {
		m       registry.Manifest
		missing string
		err     error
	}
	keys := map[string]target{}
	for _, t := range ts {
		keys[targetKey(t)] = t
	}
	results := map[string]*result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(o.Jobs, 1))
	for k, t := range keys {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res := &result{}
			ref := t.tag.Context().Digest(t.digest.String())
			res.m, res.err = o.Registry.Manifest(ctx, ref)
			if errors.Is(res.err, registry.ErrNotFound) {
				res.missing, res.err = fmt.Sprintf("%s is not in %s", t.digest, t.tag.Context()), nil
			} else if res.err == nil && res.m.MediaType.IsIndex() {
				res.missing, res.err = missingChildren(ctx, o.Registry, t, res.m)
			}
			mu.Lock()
			results[k] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	var errs []error
	manifests, missing = map[string]registry.Manifest{}, map[string]string{}
	for k, res := range results {
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
		return nil, missing, errkind.Blockedf("pre-flight: %d target(s) not complete in their repository (pruned, or never pushed here: rebuild from source); nothing was written:\n  %s",
			len(missing), strings.Join(lines, "\n  "))
	}
	if len(errs) > 0 {
		return nil, nil, errkind.New(errkind.Remote, fmt.Errorf("pre-flight could not read %d target manifest(s); nothing was written: %w", len(errs), errors.Join(errs...)))
	}
	return manifests, nil, nil
}

// missingChildren HEADs the manifests an index names, one at a time (the
// caller already runs targets in parallel), and says which are gone.
func missingChildren(ctx context.Context, reg Registry, t target, m registry.Manifest) (string, error) {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(m.Raw))
	if err != nil {
		return "", errkind.New(errkind.Remote, fmt.Errorf("reading index %s: %w", t.digest, err))
	}
	var gone []string
	for _, d := range idx.Manifests {
		_, err := reg.Resolve(ctx, t.tag.Context().Digest(d.Digest.String()))
		switch {
		case errors.Is(err, registry.ErrNotFound):
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
	return fmt.Sprintf("index %s is in %s, but manifests it names are not: %s", t.digest, t.tag.Context(), strings.Join(gone, ", ")), nil
}

func targetKey(t target) string { return t.tag.Context().Digest(t.digest.String()).Name() }

// plan reads where each tag points now.
func plan(ctx context.Context, o Options, r *Report) error {
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(o.Jobs, 1))
	for i := range r.Tags {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
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
	}
	wg.Wait()
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

// apply writes each planned tag and verifies it. After an interrupt (or
// --timeout) no new write starts; writes in flight get the write grace (30s) to finish,
// counted from the interrupt. Every written tag is read back, whatever the
// write answered, so the report says what is true.
func apply(ctx context.Context, o Options, r *Report, manifests map[string]registry.Manifest) {
	writeCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	grace := cmp.Or(o.WriteGrace, defaultWriteGrace)
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	defer stop()
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(o.Jobs, 1))
	for i := range r.Tags {
		t := &r.Tags[i]
		if t.State != Planned {
			continue
		}
		select {
		case sem <- struct{}{}:
			if ctx.Err() != nil {
				<-sem
			}
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			t.State, t.Reason = Skipped, "not started: "+interruption(ctx)
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			putErr := o.Registry.Put(writeCtx, t.target.tag, manifests[targetKey(t.target)])
			verify(ctx, o.Registry, t, putErr, grace)
		})
	}
	wg.Wait()
}

// verify reads a written tag back and sets its state from what the registry
// now says, not from what the write answered: a write whose answer was lost
// may have landed, and a write that "succeeded" may have been rewritten.
func verify(ctx context.Context, reg Registry, t *Tag, putErr error, grace time.Duration) {
	readCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	d, err := reg.Resolve(readCtx, t.target.tag)
	now := ""
	if err == nil {
		now = d.Digest.String()
	}
	why := ""
	if putErr != nil {
		why = report.OneLine(putErr.Error())
	}
	switch {
	case err != nil && !errors.Is(err, registry.ErrNotFound):
		t.State, t.unknown = Failed, true
		t.Reason = strings.TrimPrefix(why+"; ", "; ") + "could not read the tag back, so its state is unknown: " + report.OneLine(err.Error())
	case now == t.To:
		t.State, t.Reason = Restored, "verified"
		if putErr != nil {
			t.Reason = "verified (the registry's answer to the write was lost: " + why + ")"
		}
	case now == t.From:
		t.State, t.Reason = Failed, why
		if putErr == nil {
			t.Reason = "written, but the tag still reads as before: the registry did not take the write"
		}
	default:
		t.State, t.moved = Failed, true
		t.Reason = strings.TrimPrefix(why+"; ", "; ") + fmt.Sprintf("the tag now reads as %s: something else moved it, or the registry rewrote the manifest", orAbsent(now))
	}
	if t.State == Failed {
		t.failure = errors.New(t.Reason)
	}
}

func orAbsent(d string) string {
	if d == "" {
		return "absent"
	}
	return d
}

func interruption(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "--timeout reached; re-run to finish"
	}
	return "interrupted; re-run to finish"
}
