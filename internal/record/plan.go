// Package record runs after a publish: it reads the digest behind every
// pushed tag from the registry, refuses when a tag no longer points where the
// build said it pushed, and keeps the record as action outputs, a ledger file
// and a section of the GitHub release notes, where restore finds it later.
package record

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tagguard/tagguard/internal/progress"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// Plan is a record run read and decided: every ref resolved, the ledger
// built, and what would happen to the ledger file and the release notes.
// Nothing has been written.
type Plan struct {
	o      Options
	in     input
	ledger *ledger.Ledger
	report Report
}

// NewPlan reads every ref and the release notes and decides what to write.
// Tags that resolve elsewhere than the build pushed block (the report says
// so; nothing may be applied). The plan is nil only for bad input.
func NewPlan(ctx context.Context, o Options) (*Plan, error) {
	in, err := validate(o)
	if err := errors.Join(err, CheckOutput(o)); err != nil {
		return nil, err
	}
	entries, readErr := resolve(ctx, o, in)
	return plan(ctx, o, in, entries, readErr)
}

// PlanRead plans a record of refs already read: promote reads its tags back
// itself and hands over what it read, so no tag is read twice. Each entry's
// Ref must be one of o.Images as the registry client prints it.
func PlanRead(ctx context.Context, o Options, entries []Entry) (*Plan, error) {
	in, err := validate(o)
	if err := errors.Join(err, CheckOutput(o)); err != nil {
		return nil, err
	}
	return plan(ctx, o, in, entries, nil)
}

func plan(ctx context.Context, o Options, in input, entries []Entry, readErr error) (*Plan, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Plan{o: o, in: in}
	r := &p.report
	*r = Report{Command: "record", Source: cmp.Or(o.Source, in.source), PlanOnly: true}
	if in.want != nil {
		r.Expected = in.want.String()
	}
	r.Images = entries
	if readErr != nil {
		r.finish()
		return p, errkind.New(errkind.Remote, readErr)
	}
	if o.Referrers {
		if err := attach(ctx, o, entries); err != nil {
			if r.finish(); !r.Blocked && !strings.HasPrefix(r.Summary, "INCOMPLETE") {
				r.Summary = fmt.Sprintf("INCOMPLETE: read %s, but not what is attached to them; nothing was written", report.Plural(len(r.Images), "ref"))
			}
			return p, errkind.New(errkind.Remote, err)
		}
	}
	src, notes := sourceOf(o.Event)
	r.Notes = append(r.Notes, notes...)
	p.ledger = buildLedger(o, src, entries)
	if err := r.setOutputs(p.ledger); err != nil {
		return p, errkind.New(errkind.BadInput, fmt.Errorf("building the ledger: %w", err))
	}
	if r.finish(); r.Blocked {
		return p, nil
	}
	if o.LedgerFile != "" {
		r.LedgerFile = &FileResult{Path: o.LedgerFile, Action: "would write (dry run)"}
	}
	var err error
	if r.Release, err = planRelease(ctx, o, in, p.ledger); err != nil {
		return p, r.settle(err, "the release notes could not be read")
	}
	return p, nil
}

// Report is the plan's report: what a dry run prints. Each call returns a
// copy, so applying the plan never changes a report already handed out.
func (p *Plan) Report() *Report {
	r := p.report
	if r.LedgerFile != nil {
		f := *r.LedgerFile
		r.LedgerFile = &f
	}
	if r.Release != nil {
		rel := *r.Release
		r.Release = &rel
	}
	return &r
}

// resolve reads each ref's digest (HEAD) and, for an index, its platforms
// (one GET per distinct index digest).
func resolve(ctx context.Context, o Options, in input) ([]Entry, error) {
	entries := make([]Entry, len(in.refs))
	platforms := &platformCache{memo: fanout.Memo[string, platformResult]{KeepFailures: true}}
	for i, t := range in.refs {
		entries[i] = Entry{Ref: t.String()}
	}
	progress.Expect(ctx, "reading refs", len(in.refs))
	notStarted := fanout.Each(ctx, o.Jobs, len(in.refs), func(i int) {
		resolveOne(ctx, o, in, platforms, in.refs[i], &entries[i])
		progress.Done(ctx, 1)
	})
	for _, i := range notStarted {
		e := &entries[i]
		e.Verdict, e.Reason, e.err = Error, "not read: "+ctx.Err().Error(), ctx.Err()
	}
	var errs []error
	for _, e := range entries {
		if e.err != nil {
			errs = append(errs, e.err)
		}
	}
	return entries, errors.Join(errs...)
}

func resolveOne(ctx context.Context, o Options, in input, platforms *platformCache, t name.Tag, e *Entry) {
	d, err := o.Registry.Resolve(ctx, t)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		e.Verdict, e.Reason = Missing, "not in the registry: the push did not land, or the tag was removed"
		return
	case err != nil:
		e.Verdict, e.Reason, e.err = Error, report.OneLine(err.Error()), err
		return
	}
	e.Digest, e.MediaType = d.Digest.String(), string(d.MediaType)
	if in.want != nil && d.Digest != *in.want {
		e.Verdict = Moved
		e.Reason = fmt.Sprintf("points at %s, not at %s that the build pushed: the tag was overwritten after the push (a race, or a false success)", d.Digest, in.want)
		e.Fix = fmt.Sprintf("find out what pushed %s; to put the build back: tagguard restore --pin %s@%s", d.Digest, t, in.want)
		return
	}
	if d.MediaType.IsIndex() {
		ps, inline, err := platforms.get(ctx, o.Registry, t.Context().Digest(d.Digest.String()))
		if err != nil {
			e.Verdict, e.Reason, e.err = Error, report.OneLine(err.Error()), err
			return
		}
		e.Platforms, e.inline = slices.Clone(ps), inline
	}
	e.Verdict = Recorded
}

func sourceOf(ev event.Context) (ledger.Source, []string) {
	var src ledger.Source
	var notes []string
	for _, f := range []struct {
		env   string
		value string
		field *string
	}{
		{"GITHUB_REPOSITORY", ev.Repository, &src.Repository},
		{"GITHUB_SHA", ev.SHA, &src.SHA},
		{"GITHUB_REF", ev.Ref, &src.Ref},
		{"the run URL (GITHUB_SERVER_URL, GITHUB_RUN_ID)", ev.RunURL, &src.Run},
	} {
		if f.value == "" {
			continue
		}
		*f.field = f.value
		if err := (&ledger.Ledger{Schema: ledger.Schema, Source: src}).Validate(); err != nil {
			*f.field = ""
			notes = append(notes, fmt.Sprintf("%s %q left out of the ledger's source: not a value GitHub sets", f.env, f.value))
		}
	}
	return src, notes
}

func buildLedger(o Options, src ledger.Source, entries []Entry) *ledger.Ledger {
	l := &ledger.Ledger{
		Schema:  ledger.Schema,
		Created: o.Now().UTC().Truncate(time.Second),
		Source:  src,
	}
	for _, e := range entries {
		if e.Verdict == Recorded {
			l.Images = append(l.Images, ledger.Image{Ref: e.Ref, Digest: e.Digest, MediaType: e.MediaType, Platforms: e.Platforms, Attached: e.Attached})
		}
	}
	return l
}
