package restore

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/ledger/load"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/registry"
)

// Plan is a restore read and decided: every target validated, every
// target digest proven present (its exact bytes in hand), and each tag's
// current digest read. Nothing has been written.
type Plan struct {
	o         Options
	report    Report
	manifests map[string]registry.Manifest
}

// NewPlan reads the source and the registry and plans the restore. The
// error's kind is the exit code: bad input (2, no plan) or a registry
// failure (3, with a plan whose report says what was read). A refusal (a
// tampered ledger, a pre-flight or the signature gate: exit 1) is in the
// plan's report. Nothing is written either way.
func NewPlan(ctx context.Context, o Options) (*Plan, error) {
	if err := errors.Join(Validate(o), CheckOutput(o)); err != nil {
		return nil, err
	}
	if err := o.Gate.Prepare(ctx); err != nil {
		return nil, err
	}
	source, evidence, ts, err := targets(ctx, o)
	if err != nil {
		return nil, err
	}
	p := &Plan{o: o}
	r := &p.report
	*r = Report{now: o.Now, Command: "restore", Source: source, LedgerSource: string(evidence.Evidence), Sealed: evidence.Evidence == load.Sealed, Tampered: evidence.Tampered}
	if r.Tampered == nil {
		r.Tampered = []string{}
	}
	for _, t := range ts {
		r.Tags = append(r.Tags, Tag{Ref: t.tag.String(), To: t.digest.String(), RecordedIn: t.recordedIn, target: t})
	}
	if len(evidence.Tampered) > 0 {
		// The notes anyone with write access can edit disagree with the
		// asset: whoever edited them wants some tag elsewhere. Nothing is
		// written until a person has looked.
		for i := range r.Tags {
			r.Tags[i].State, r.Tags[i].Reason = Skipped, "not started: the release's notes and its ledger asset disagree"
		}
		r.finish("the ledger was tampered with: nothing was written")
		r.Summary = "BLOCKED: " + source + " is tampered: its notes and its ledger asset " + ledger.AssetName + " disagree; nothing was written"
		r.Refuse("%s: the notes' ledger and the asset %s disagree (%s): someone edited one of them; nothing was written. Compare them by hand; the asset (%s) is what tagguard trusts", source, ledger.AssetName, strings.Join(evidence.Tampered, "; "), evidence.Evidence)
		return p, nil
	}

	manifests, missing, why, err := preflight(ctx, o, ts)
	if err != nil || why != "" {
		for i := range r.Tags {
			t := &r.Tags[i]
			t.State, t.Reason = Skipped, "not started: the pre-flight refused"
			if m, ok := missing[targetKey(t.target)]; ok {
				t.Reason = "pre-flight: " + m + " (pruned, or never pushed here: rebuild from source)"
			}
		}
		r.finish("pre-flight refused: nothing was written")
		if why != "" {
			// The headline's verdict is the exit code's: 1, a refusal.
			r.Summary = "BLOCKED: the pre-flight refused, a target is not complete in its repository: nothing was written"
			r.Refuse("%s", why)
		}
		return p, err
	}
	p.manifests = manifests
	if o.Gate != nil {
		if err := signatures(ctx, o.Gate, r); err != nil || r.Refused() != "" {
			return p, err
		}
	}
	if err := readTags(ctx, o, r); err != nil {
		r.finish("could not read the tags' current digests: nothing was written")
		return p, err
	}
	if err := followLines(ctx, o, r, evidence.Ledger); err != nil {
		r.finish("could not tell whether a floating tag advanced: nothing was written")
		return p, err
	}
	if o.Referrers {
		if err := attach(ctx, o, r); err != nil {
			r.finish("could not read what is attached to the targets: nothing was written")
			return p, errkind.New(errkind.Remote, err)
		}
	}
	r.PlanOnly = true
	r.finish("")
	return p, nil
}

// Report is the plan's report: what a dry run prints.
func (p *Plan) Report() *Report {
	r := p.report
	r.Tags = slices.Clone(r.Tags)
	return &r
}
