package restore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/registry"
)

// writeGrace is how long writes already in flight may take to finish after
// an interrupt: a PUT cut off half-way would leave the tag's state unknown.
const writeGrace = 30 * time.Second

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

	manifests, err := preflight(ctx, o, ts)
	if err != nil {
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
// back. Any missing one stops the run before the first write.
func preflight(ctx context.Context, o Options, ts []target) (map[string]registry.Manifest, error) {
	type result struct {
		m   registry.Manifest
		err error
	}
	keys := map[string]target{}
	for _, t := range ts {
		keys[t.tag.Context().Digest(t.digest.String()).Name()] = t
	}
	results := map[string]*result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(o.Jobs, 1))
	for k, t := range keys {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			m, err := o.Registry.Manifest(ctx, t.tag.Context().Digest(t.digest.String()))
			mu.Lock()
			results[k] = &result{m: m, err: err}
			mu.Unlock()
		})
	}
	wg.Wait()
	var missing, failed []string
	var errs []error
	out := map[string]registry.Manifest{}
	for k, res := range results {
		switch {
		case errors.Is(res.err, registry.ErrNotFound):
			missing = append(missing, k)
		case res.err != nil:
			failed = append(failed, k)
			errs = append(errs, res.err)
		default:
			out[k] = res.m
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		return nil, errkind.Blockedf("pre-flight: %d target digest(s) not in their repository (pruned, or never pushed here: rebuild from source); nothing was written:\n  %s",
			len(missing), strings.Join(missing, "\n  "))
	}
	if len(errs) > 0 {
		return nil, errkind.New(errkind.Remote, fmt.Errorf("pre-flight could not read %d target manifest(s); nothing was written: %w", len(failed), errors.Join(errs...)))
	}
	return out, nil
}

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
			switch {
			case errors.Is(err, registry.ErrNotFound):
				t.From, t.State = "", Planned
			case err != nil:
				t.State, t.Reason, t.failure = Failed, err.Error(), err
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

// apply writes each planned tag and verifies it. After an interrupt no new
// write starts; writes in flight get writeGrace to finish, and every tag's
// state is read back so the report says what is true.
func apply(ctx context.Context, o Options, r *Report, manifests map[string]registry.Manifest) {
	writeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeGrace)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(o.Jobs, 1))
	for i := range r.Tags {
		t := &r.Tags[i]
		if t.State != Planned {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			t.State, t.Reason = Skipped, "not started: "+interruption(ctx)
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			m := manifests[t.target.tag.Context().Digest(t.target.digest.String()).Name()]
			if err := o.Registry.Put(writeCtx, t.target.tag, m); err != nil {
				t.State, t.Reason, t.failure = Failed, err.Error(), err
				return
			}
			d, err := o.Registry.Resolve(writeCtx, t.target.tag)
			switch {
			case err != nil:
				t.State, t.Reason, t.failure = Failed, "written, but could not be verified: "+err.Error(), err
			case d.Digest != t.target.digest:
				t.State = Failed
				t.Reason = fmt.Sprintf("written, but reads back as %s: something else moved it, or the registry rewrote the manifest", d.Digest)
				t.failure = errors.New(t.Reason)
			default:
				t.State, t.Reason = Restored, "verified"
			}
		})
	}
	wg.Wait()
}

func interruption(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "--timeout reached; re-run to finish"
	}
	return "interrupted; re-run to finish"
}
