package promote

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/report"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/record"
)

// State is a target's action in the plan and its outcome after the apply.
type State string

// The actions and states.
const (
	Planned   State = "planned"   // not yet judged
	Create    State = "create"    // the tag is absent: it will be written
	Move      State = "move"      // the tag is elsewhere: it will be moved
	Unchanged State = "unchanged" // already at the digest: never written
	Written   State = "written"   // written and read back at the digest
	LostRace  State = "lost-race" // an immutable tag appeared since the plan: not written
	Replaced  State = "replaced"  // written, then replaced by another writer before the read-back
	Failed    State = "failed"    // the write or its read-back failed
	Skipped   State = "skipped"   // not started: interrupted or out of time
)

// Report is the outcome of a promote.
type Report struct {
	report.Refusal `json:"-"`     // why it refused, if it did: exit 1, never an error
	Command        string         `json:"-"` // the envelope names it
	Blocked        bool           `json:"blocked"`
	Summary        string         `json:"-"`      // the envelope carries it
	PlanOnly       bool           `json:"dryRun"` // the plan, not applied
	Sources        []Source       `json:"sources"`
	Published      Published      `json:"published"`
	Check          *check.Report  `json:"check"`
	Targets        []Target       `json:"targets"`
	Copies         []string       `json:"copies"`
	Record         *record.Report `json:"record"`
	Outputs        record.Outputs `json:"-"` // the envelope carries them, as JSON values
}

// Source is one source as read.
type Source struct {
	Ref       string   `json:"ref"`
	MediaType string   `json:"mediaType,omitempty"`
	Platforms []string `json:"platforms,omitempty"`
	// Attached is what is attached to the source, and to each image an
	// index source names, by digest (--referrers).
	Attached map[string]*ledger.Attached `json:"attached,omitempty"`
	Problem  string                      `json:"problem,omitempty"`
	// Signature is the signature gate's verdict (with the gate on).
	Signature *gate.Verdict `json:"signature,omitempty"`
}

// Published is what the tags point at.
type Published struct {
	Digest    string `json:"digest,omitempty"`
	MediaType string `json:"mediaType,omitempty"`
	Size      int    `json:"size,omitempty"`
	Built     bool   `json:"built"` // an index built from several sources
	// Attached is what is attached to what is published: a single source's
	// own; nothing for a built index, whose bytes are new (sign it after).
	Attached  *ledger.Attached  `json:"attached,omitempty"`
	Platforms []ledger.Platform `json:"platforms,omitempty"`
}

// Target is one tag's plan and outcome.
type Target struct {
	Ref    string      `json:"ref"`
	Kind   policy.Kind `json:"kind,omitempty"`
	From   string      `json:"from,omitempty"` // the digest before; "" when absent
	Action State       `json:"action"`
	State  State       `json:"state"`
	Now    string      `json:"now,omitempty"` // the digest read back
	Reason string      `json:"reason,omitempty"`

	tag     name.Tag
	touched bool
}

// stop ends a plan that cannot go on.
func (r *Report) stop(why string) {
	r.PlanOnly = false
	for i := range r.Targets {
		if t := &r.Targets[i]; t.State == Planned || t.State == Create || t.State == Move {
			t.State = Skipped
			if t.Reason == "" {
				t.Reason = "not written: " + why
			}
		}
	}
	r.Summary = "STOPPED: " + why
	if r.Blocked {
		r.Summary = why
	}
}

func (r *Report) finish() {
	counts := map[State]int{}
	for _, t := range r.Targets {
		if r.PlanOnly {
			counts[t.Action]++
		} else {
			counts[t.State]++
		}
	}
	var parts []string
	for _, s := range []State{Create, Move, Written, Unchanged, LostRace, Replaced, Failed, Skipped} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	what := "1 source"
	if r.Published.Built {
		what = fmt.Sprintf("an index of %d sources", len(r.Sources))
	}
	switch {
	case r.PlanOnly:
		r.Summary = fmt.Sprintf("DRY RUN: %s as %s; %s; nothing was written", what, r.Published.Digest, strings.Join(parts, ", "))
	case counts[LostRace]+counts[Replaced]+counts[Failed]+counts[Skipped] > 0 && r.touchedAny():
		r.Summary = "PARTLY APPLIED: " + strings.Join(parts, ", ") + "; re-run to finish"
	case counts[LostRace]+counts[Failed]+counts[Skipped] > 0:
		r.Summary = "FAILED: " + strings.Join(parts, ", ") + "; no tag was changed"
	default:
		r.Summary = fmt.Sprintf("OK: %s published as %s; %s", what, r.Published.Digest, strings.Join(parts, ", "))
	}
}

func (r *Report) touchedAny() bool {
	for _, t := range r.Targets {
		if t.touched {
			return true
		}
	}
	return false
}

// err maps the applied outcome to an exit code: a lost race, or any tag
// that may have changed while another failed, is 4; failures with nothing
// changed are 3.
func (r *Report) err() error {
	var lost, bad int
	for _, t := range r.Targets {
		switch t.State {
		case LostRace, Replaced:
			lost++
		case Failed, Skipped:
			bad++
		}
	}
	switch {
	case lost+bad == 0:
		return nil
	case lost > 0 || r.touchedAny():
		return errkind.New(errkind.Partial, fmt.Errorf("promote partly applied: %d tag(s) lost a race, %d failed or not started; the report names each", lost, bad))
	default:
		return errkind.Remotef("promote failed: none of %d tag(s) could be written; no tag was changed", bad)
	}
}

// Headline is the summary line.
func (r *Report) Headline() string { return r.Summary }

// SetHeadline replaces the summary line (report.Agree).
func (r *Report) SetHeadline(s string) { r.Summary = s }

// Blocking reports whether the guards refused the publish.
func (r *Report) Blocking() bool { return r.Blocked }

func sortedKeys(m map[string]*ledger.Attached) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// signedSources counts the source digests with a signature or attestation.
func (r *Report) signedSources() int {
	n := 0
	for _, s := range r.Sources {
		for _, a := range s.Attached {
			if a != nil && len(a.Signatures)+len(a.Attestations) > 0 {
				n++
			}
		}
	}
	return n
}

// next is the step after this promote, in the workflow's terms.
func (r *Report) next() string {
	switch {
	case r.PlanOnly:
		return "run again with --dry-run=false to write the tags"
	case r.Blocked:
		return "nothing was written: fix what the blocked rows say, then run again"
	case strings.HasPrefix(r.Summary, "PARTLY") || strings.HasPrefix(r.Summary, "STOPPED") || strings.HasPrefix(r.Summary, "FAILED") || strings.HasPrefix(r.Summary, "INTERRUPTED"):
		return "run again: promote writes only what is still missing"
	}
	return "publish the release once this step has attached its ledger, and audit it daily (tagguard audit --from-releases)"
}

func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
