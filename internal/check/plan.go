package check

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tagguard/tagguard/internal/progress"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// Plan is a check done: check reads and never writes, so its plan is its
// report and Apply changes nothing.
type Plan = report.ReadOnly[*Report]

// NewPlan checks every image and every run-level guard. A guard that
// refuses sets Report.Blocked; the error is for input that does not parse
// (no plan, nothing was read) and for registries that could not be read
// (the report then says which refs are unknown).
func NewPlan(ctx context.Context, o Options) (*Plan, error) { return report.Read(plan(ctx, o)) }

func plan(ctx context.Context, o Options) (*Report, error) {
	p, err := validate(o)
	if err != nil {
		return nil, err
	}
	// promote runs the guards without the gate: it gated its sources.
	if err := o.Gate.Prepare(ctx); err != nil {
		return nil, err
	}
	r := &Report{Command: "check", Source: o.Source}
	if p.digest != nil {
		r.Digest = p.digest.String()
	}
	version, versionGuard := resolveVersion(p, o.Event)
	if version != nil {
		r.Version = version.Original()
	}

	results, tagLists, readErr := read(ctx, o, p)
	for i := range results {
		judgeRef(&results[i], p, version, tagLists)
	}
	r.Refs = results
	r.Guards = []Guard{
		summarise(GuardImmutable, results),
		baseGuard(ctx, o),
		summarise(GuardFloating, results),
		versionGuard,
	}
	if o.Gate != nil {
		g := signatureGuard(ctx, o.Gate, p)
		r.Guards = append(r.Guards, g)
		if g.Verdict == Error {
			readErr = errors.Join(readErr, fmt.Errorf("the signature gate could not tell: %s", g.Detail))
		}
	}
	r.finish()
	if readErr != nil {
		return r, errkind.New(errkind.Remote, readErr)
	}
	return r, nil
}

// read HEADs every ref and lists the tags of each repository that has a
// floating tag, all in one fan-out.
func read(ctx context.Context, o Options, p input) ([]Ref, map[string]*tagList, error) {
	results := make([]Ref, len(p.refs))
	// Each repository with a floating tag gets its own *tagList before the
	// fan-out starts: a call writes only the list it was handed, and the
	// map itself is never written concurrently.
	lists := map[string]*tagList{}
	var listed []*tagList
	for i, t := range p.refs {
		results[i] = Ref{Ref: t.String(), Tag: t.TagStr(), Kind: p.policy.Kind(t.TagStr()), ref: t}
		if repo := t.Context().String(); results[i].Kind == policy.Floating && lists[repo] == nil {
			l := &tagList{repo: t}
			lists[repo] = l
			listed = append(listed, l)
		}
	}
	progress.Expect(ctx, "reading refs", len(results))
	// Repositories round-robin: every repository's first request (its
	// token exchange) starts at once, not when the workers get to it.
	order := fanout.Interleave(len(results), func(i int) string { return results[i].ref.Context().String() })
	notStarted := fanout.Each(ctx, o.Jobs, len(listed)+len(results), func(i int) {
		if i < len(listed) {
			l := listed[i]
			l.tags, l.err = o.Registry.Tags(ctx, l.repo.Context())
			return
		}
		defer progress.Done(ctx, 1)
		r := &results[order[i-len(listed)]]
		d, err := o.Registry.Resolve(ctx, r.ref)
		switch {
		case errors.Is(err, registry.ErrNotFound):
			r.Exists = new(bool)
		case err != nil:
			r.err = err
		default:
			r.Exists = ptr(true)
			r.Current = d.Digest.String()
			r.MediaType = string(d.MediaType)
		}
	})
	for _, i := range notStarted {
		if i < len(listed) {
			listed[i].err = ctx.Err()
		} else {
			results[order[i-len(listed)]].err = ctx.Err()
		}
	}
	var errs []error
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	for _, l := range listed {
		if l.err != nil {
			errs = append(errs, l.err)
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return results, lists, errors.Join(errs...)
}

func ptr[T any](v T) *T { return &v }

type tagList struct {
	repo name.Tag // a tag of the repository, for its context
	tags []string
	err  error
}
