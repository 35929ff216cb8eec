package report

import (
	"context"
	"errors"

	"github.com/tagguard/tagguard/internal/errkind"
)

// Plan is the shape every command has: Validate checks the options with no
// I/O, NewPlan reads the world into a Plan (pure data with a report of it),
// and Apply writes what the plan decided. A read-only command's Apply
// writes nothing and hands back the plan's report.
type Plan[R Report] interface {
	// Report is the plan's report: what a dry run prints.
	Report() R
	// Apply writes what the plan decided and reports what is true after.
	Apply(ctx context.Context) (R, error)
}

// Run is the one apply rule, used by the app and by the commands' tests
// alike: newPlan reads; a plan that failed, blocked, refused or was asked
// for as a dry run is reported as it is; any other is applied. A refusal
// lives in the report (Refusal, Blocking), never in the error; the exit
// code is derived from the report and the error, in one place (the app's
// Outcome). A read-only command's plan is always applied: its Apply writes
// only files the operator named (audit's --drift-file), which are wanted
// most when something is wrong, and keeps the plan's error unless that
// write fails (exit 2: the file asked for is what to fix first). An
// interrupted plan is never applied, so writes no file either.
func Run[O any, R Report, P interface {
	comparable
	Plan[R]
}](ctx context.Context, newPlan func(context.Context, O) (P, error), o O, dryRun bool) (R, error) {
	p, err := newPlan(ctx, o)
	if errors.Is(ctx.Err(), context.Canceled) {
		// SIGINT or SIGTERM while reading: nothing was written, and one
		// line says so, not a FAILED row per ref that was not read.
		var zero R
		return zero, errkind.New(errkind.Interrupted, errors.New("interrupted while planning: nothing was written"))
	}
	var none P
	if p == none {
		var zero R
		return zero, err
	}
	if _, ok := any(p).(readOnly); ok && !dryRun {
		r, aerr := p.Apply(ctx)
		if aerr != nil {
			return r, aerr
		}
		return r, err
	}
	r := p.Report()
	if dryRun && err == nil {
		// A plan whose apply would end in a refusal (a held tag) says so
		// in the dry run too.
		if w, ok := any(r).(interface{ WouldRefuse() string }); ok && w.WouldRefuse() != "" {
			r.Refuse("%s", w.WouldRefuse())
		}
	}
	if err != nil || Blocks(r) || dryRun {
		return r, err
	}
	return p.Apply(ctx)
}

// ReadOnly is the plan of a command that only reads (check, audit): its
// plan is its report, and Apply writes only what the operator asked to
// have written beside it (after), whatever the verdict.
type ReadOnly[R Report] struct {
	report R
	after  func(context.Context, R) error
}

func (*ReadOnly[R]) readOnly() {}

type readOnly interface{ readOnly() }

// Report is the command's report.
func (p *ReadOnly[R]) Report() R { return p.report }

// Apply writes no image and no release: only the files after writes, if
// any.
func (p *ReadOnly[R]) Apply(ctx context.Context) (R, error) {
	if p.after == nil {
		return p.report, nil
	}
	return p.report, p.after(ctx, p.report)
}

// Read makes the plan of a read-only command from its report and error:
// no report (bad input, nothing read) is no plan.
func Read[R interface {
	comparable
	Report
}](r R, err error) (*ReadOnly[R], error) {
	return ReadThen(r, err, nil)
}

// ReadThen is Read with files to write in Apply (after may be nil).
func ReadThen[R interface {
	comparable
	Report
}](r R, err error, after func(context.Context, R) error) (*ReadOnly[R], error) {
	var none R
	if r == none {
		return nil, err
	}
	return &ReadOnly[R]{report: r, after: after}, err
}
