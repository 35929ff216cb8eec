package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/progress"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// Plan is a promote read and decided: every source proven present, what
// is published built, the guards judged and each target's action known.
// Nothing has been written.
type Plan struct {
	o         Options
	in        input
	sources   []source
	published registry.Manifest
	built     bool                    // published is an index built from several sources
	attached  map[string]oci.Attached // by digest: what a copy carries along
	digestsOf [][]string              // per source: its digest and its images'

	report Report
}

// source is one source as read: its exact bytes and its platform.
type source struct {
	ref      name.Digest
	m        registry.Manifest
	platform *v1.Platform // nil for an index
	missing  string       // why it is not whole in its repository
	err      error
}

// NewPlan validates, proves every source whole, builds what is published
// and judges every target with check's guards. The error's kind is the
// exit code: bad input (2, no plan) or a registry failure (3). A missing
// source or the signature gate is the report's refusal, and a guard's
// block its verdict (exit 1). Nothing is written either way.
func NewPlan(ctx context.Context, o Options) (*Plan, error) {
	in, err := validate(o)
	if err := errors.Join(err, record.CheckOutput(o.recordOptions(nil))); err != nil {
		return nil, err
	}
	if err := o.Gate.Prepare(ctx); err != nil {
		return nil, err
	}
	p := &Plan{o: o, in: in}
	r := &p.report
	*r = Report{Command: "promote", PlanOnly: true}
	for _, t := range in.targets {
		r.Targets = append(r.Targets, Target{Ref: t.String(), Action: Planned, State: Planned, tag: t})
	}
	p.sources = readSources(ctx, o, in.sources)
	for _, s := range p.sources {
		r.Sources = append(r.Sources, sourceRow(s))
	}
	if why, err := preflight(p.sources); why != "" {
		// A refusal is a block, in the report as in the exit code: a
		// workflow gating on the blocked output must see it.
		r.Blocked = true
		r.Refuse("%s", why)
		r.stop("BLOCKED: pre-flight refused, a source is not whole in its repository: nothing was written")
		return p, nil
	} else if err != nil {
		r.stop("pre-flight refused: nothing was written")
		return p, err
	}
	if o.Gate != nil {
		if stop, err := p.gate(ctx, r); stop {
			return p, err
		}
	}
	if p.published, p.built, err = publish(p.sources); err != nil {
		r.stop("the sources cannot be published together: nothing was written")
		return p, err
	}
	r.Published = Published{Digest: p.published.Digest.String(), MediaType: string(p.published.MediaType), Size: len(p.published.Raw), Built: p.built}
	if o.Referrers {
		if err := p.attach(ctx, r); err != nil {
			r.stop("what is attached to the sources could not be read: nothing was written")
			return p, errkind.New(errkind.Remote, err)
		}
	}
	if p.published.MediaType.IsIndex() {
		r.Published.Platforms, _ = oci.Platforms(p.published.Raw)
	}
	// check only reads: its plan is the guards' verdict.
	guards, err := report.Run(ctx, check.NewPlan, o.checkOptions(r.Published.Digest), true)
	r.Check = guards
	if err != nil || guards == nil {
		r.stop("the guards could not read the registry: nothing was written")
		return p, err
	}
	byRef := map[string]check.Ref{}
	for _, ref := range guards.Refs {
		byRef[ref.Ref] = ref
	}
	for i := range r.Targets {
		t, ref := &r.Targets[i], byRef[r.Targets[i].Ref]
		t.Kind, t.From = ref.Kind, ref.Current
		switch {
		case ref.Current == "":
			t.Action = Create
		case ref.Current == r.Published.Digest:
			t.Action, t.State, t.Reason = Unchanged, Unchanged, "already at the digest being published"
		default:
			t.Action = Move
		}
	}
	r.Blocked = guards.Blocked
	if r.Blocked {
		r.stop("BLOCKED by the guards: nothing was written")
		return p, nil
	}
	r.finish()
	return p, nil
}

// Report is the plan's report: what a dry run prints.
func (p *Plan) Report() *Report {
	r := p.report
	r.Targets = slices.Clone(r.Targets)
	return &r
}

// readSources fetches every source by digest (the registry client hashes
// what it reads), HEADs the children of an index and reads the platform of
// an image from its config.
func readSources(ctx context.Context, o Options, refs []name.Digest) []source {
	out := make([]source, len(refs))
	progress.Expect(ctx, "reading sources", len(refs))
	notStarted := fanout.Each(ctx, o.Jobs, len(refs), func(i int) {
		defer progress.Done(ctx, 1)
		s := &out[i]
		s.ref = refs[i]
		s.m, s.err = o.Registry.Manifest(ctx, s.ref)
		switch {
		case errors.Is(s.err, registry.ErrNotFound):
			s.missing, s.err = fmt.Sprintf("%s is not in %s: the build's push did not land there, or it was pruned", s.ref.DigestStr(), s.ref.Context()), nil
		case s.err != nil:
		case s.m.MediaType.IsIndex():
			s.missing, s.err = registry.MissingChildren(ctx, o.Registry, s.ref, s.m)
			if s.missing == "" && s.err == nil {
				s.err = checkLabels(ctx, o.Registry, s.ref, s.m)
			}
		case s.m.MediaType.IsImage():
			s.platform, s.err = o.Registry.Platform(ctx, s.ref.Context(), s.m)
			if len(refs) == 1 && errors.Is(s.err, registry.ErrNoPlatform) {
				s.err = nil // published alone, as its exact bytes: it joins no index
			}
		default:
			s.err = errkind.BadInputf("source %s is a %s, not an image or an image index", s.ref, s.m.MediaType)
		}
	})
	for _, i := range notStarted {
		out[i].ref, out[i].err = refs[i], ctx.Err()
	}
	return out
}

// preflight refuses the run when a source is missing (why: exit 1) or
// could not be read (err: exit 3).
func preflight(ss []source) (why string, err error) {
	var missing, errs []string
	var kinds []error
	for _, s := range ss {
		switch {
		case s.missing != "":
			missing = append(missing, s.missing)
		case s.err != nil:
			errs = append(errs, report.OneLine(s.err.Error()))
			kinds = append(kinds, s.err)
		}
	}
	sort.Strings(missing)
	switch {
	case len(missing) > 0:
		return fmt.Sprintf("pre-flight: %d source(s) not whole in their repository (rebuild and push again); nothing was written:\n  %s",
			len(missing), strings.Join(append(missing, errs...), "\n  ")), nil
	case len(errs) > 0:
		for _, k := range kinds {
			if errkind.Of(k) == errkind.BadInput {
				return "", errkind.BadInputf("%s", strings.Join(errs, "; "))
			}
		}
		return "", errkind.Remotef("pre-flight could not read %d source(s); nothing was written: %s", len(errs), strings.Join(errs, "; "))
	}
	return "", nil
}

// publish decides what is published: one source as its exact bytes (an
// image is never wrapped in a new index: signatures by digest stay valid),
// several as one index built from them.
func publish(ss []source) (registry.Manifest, bool, error) {
	if len(ss) == 1 {
		return ss[0].m, false, nil
	}
	m, err := buildIndex(ss)
	return m, true, err
}

func sourceRow(s source) Source {
	row := Source{Ref: s.ref.String(), MediaType: string(s.m.MediaType)}
	switch {
	case s.platform != nil:
		row.Platforms = []string{s.platform.String()}
	case s.m.MediaType.IsIndex():
		ps, _ := oci.Platforms(s.m.Raw)
		for _, p := range ps {
			row.Platforms = append(row.Platforms, p.Platform)
		}
	}
	if s.missing != "" {
		row.Problem = s.missing
	} else if s.err != nil {
		row.Problem = report.OneLine(s.err.Error())
	}
	return row
}

// immutable reports whether a target's tag is immutable: it is HEADed again
// right before its PUT.
func immutable(t Target) bool { return t.Kind == policy.Immutable }

// key is the AttachmentsOf key of digest d as source i's repository holds
// it: two sources in two repositories may share a digest, each with its
// own attachments.
func (p *Plan) key(i int, d string) string {
	return oci.AttachedKey(p.sources[i].ref.Context().Digest(d))
}

// attach reads what is attached to every source digest and to each image
// an index source names, for the plan and for a copy to carry along. A
// single source published as itself keeps its attachments; a built index
// has none yet.
func (p *Plan) attach(ctx context.Context, r *Report) error {
	var ds []name.Digest
	inline := map[string]bool{}
	p.digestsOf = make([][]string, len(p.sources))
	for i, s := range p.sources {
		mine := []name.Digest{s.ref}
		if s.m.MediaType.IsIndex() {
			entries, err := oci.Entries(s.m.Raw)
			if err != nil {
				return err
			}
			// Every entry, attestation manifests included: cosign sign
			// --recursive signs those too, and their signatures travel
			// with them.
			for _, d := range entries {
				mine = append(mine, s.ref.Context().Digest(d.Digest.String()))
			}
			for d := range oci.InlineAttestations(s.m.Raw) {
				inline[d] = true
			}
		}
		for _, d := range mine {
			p.digestsOf[i] = append(p.digestsOf[i], d.DigestStr())
		}
		ds = append(ds, mine...)
	}
	found, err := p.o.Registry.AttachmentsOf(ctx, ds, inline)
	if err != nil {
		return err
	}
	p.attached = found
	for i := range p.sources {
		row := &r.Sources[i]
		row.Attached = map[string]*ledger.Attached{}
		for _, d := range p.digestsOf[i] {
			row.Attached[d] = found[p.key(i, d)].Record()
		}
	}
	if !p.built {
		r.Published.Attached = found[p.key(0, p.published.Digest.String())].Record()
	} else {
		r.Published.Attached = oci.Attached{}.Record()
	}
	return nil
}
