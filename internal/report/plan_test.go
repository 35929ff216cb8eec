package report

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/tagguard/tagguard/internal/errkind"
)

// fake is a report whose verdict a test sets.
type fake struct {
	Refusal
	blocked bool
	would   string
	applied bool
}

func (r *fake) Headline() string          { return "" }
func (r *fake) SetHeadline(string)        {}
func (r *fake) WriteText(io.Writer) error { return nil }
func (r *fake) Blocking() bool            { return r.blocked }
func (r *fake) Show() Shown               { return Shown{} }
func (r *fake) WouldRefuse() string       { return r.would }

// writing is the plan of a command that writes: Apply marks the report.
type writing struct{ r *fake }

func (p *writing) Report() *fake { c := *p.r; return &c }
func (p *writing) Apply(context.Context) (*fake, error) {
	c := *p.r
	c.applied = true
	return &c, nil
}

func TestRunAppliesOnlyWhatNothingStopped(t *testing.T) {
	failed := errkind.Remotef("a registry answered 500")
	for _, tc := range []struct {
		name      string
		r         fake
		err       error
		dryRun    bool
		applied   bool
		refused   string
		wantErrIs error
	}{
		{name: "a plan that nothing stopped is applied", applied: true},
		{name: "a refusal is never applied", r: fake{Refusal: Refusal{why: "pre-flight: gone"}}, refused: "pre-flight: gone"},
		{name: "a guard's block is never applied", r: fake{blocked: true}},
		{name: "a failed plan is never applied", err: failed, wantErrIs: failed},
		{name: "a dry run is never applied", dryRun: true},
		{name: "a dry run says the refusal its apply would end in", r: fake{would: "a floating tag is held"}, dryRun: true, refused: "a floating tag is held"},
		{name: "an apply owes what it would refuse only in a dry run", r: fake{would: "a floating tag is held"}, applied: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			got, err := Run(context.Background(), func(context.Context, int) (*writing, error) { return &writing{&r}, tc.err }, 0, tc.dryRun)
			if !errors.Is(err, tc.wantErrIs) || (tc.wantErrIs == nil && err != nil) {
				t.Errorf("err %v, want %v", err, tc.wantErrIs)
			}
			if got.applied != tc.applied || got.Refused() != tc.refused {
				t.Errorf("applied %v, refused %q: want %v, %q", got.applied, got.Refused(), tc.applied, tc.refused)
			}
			if Blocks(got) != (tc.refused != "" || tc.r.blocked) {
				t.Errorf("Blocks %v", Blocks(got))
			}
		})
	}
}

func TestReadOnlyPlanWritesItsFilesWhateverTheVerdict(t *testing.T) {
	failed := errkind.Remotef("2 of 9 refs could not be read")
	wrote := 0
	after := func(context.Context, *fake) error { wrote++; return nil }
	// Blocked (drift) and incomplete: the drift file is wanted most then,
	// and the plan's error is still the run's.
	r, err := Run(context.Background(), func(context.Context, int) (*ReadOnly[*fake], error) {
		return ReadThen(&fake{blocked: true}, failed, after)
	}, 0, false)
	if wrote != 1 || !errors.Is(err, failed) || !r.blocked {
		t.Errorf("wrote %d, err %v: want the file written and the plan's error kept", wrote, err)
	}
	// A write that fails is the run's error.
	bad := errkind.BadInputf("writing --drift-file: no such directory")
	_, err = Run(context.Background(), func(context.Context, int) (*ReadOnly[*fake], error) {
		return ReadThen(&fake{}, nil, func(context.Context, *fake) error { return bad })
	}, 0, false)
	if !errors.Is(err, bad) {
		t.Errorf("err %v, want the write's", err)
	}
	// No report (bad input) is no plan, and nothing is written.
	wrote = 0
	_, err = Run(context.Background(), func(context.Context, int) (*ReadOnly[*fake], error) {
		return ReadThen[*fake](nil, bad, after)
	}, 0, false)
	if wrote != 0 || !errors.Is(err, bad) {
		t.Errorf("wrote %d, err %v: want nothing written for no plan", wrote, err)
	}
}
