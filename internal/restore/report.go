package restore

import (
	"fmt"
	"strings"
	"time"

	"github.com/tagguard/tagguard/internal/gate"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/report"
)

// State is where a tag is in the restore.
type State string

// Tag states.
const (
	Planned   State = "planned"   // to be written (the state a dry run ends in)
	Unchanged State = "unchanged" // already at the target: never written
	Advanced  State = "advanced"  // a floating tag a newer release moved forward: left where it is
	Held      State = "held"      // a floating tag at a newer version no record read confirms (partial evidence): left, exit 1
	Restored  State = "restored"  // written and verified
	Failed    State = "failed"    // the write or its verification failed
	Skipped   State = "skipped"   // not started: interrupted or out of time
)

// Report is the outcome of a restore.
type Report struct {
	report.Refusal `json:"-"`       // why it refused, if it did: exit 1, never an error
	now            func() time.Time // the clock of the undo ledger (Options.Now)
	Command        string           `json:"-"`      // the envelope names it
	Summary        string           `json:"-"`      // the envelope carries it
	PlanOnly       bool             `json:"dryRun"` // the plan, not applied
	Source         string           `json:"source"`
	// LedgerSource is what the ledger was read from: sealed (an immutable
	// release's asset), asset, notes only, file; "" for --pin.
	LedgerSource string `json:"ledgerSource"`
	// Sealed is true when the ledger is an immutable release's asset.
	Sealed bool `json:"sealed"`
	// Tampered lists how a release's notes and its asset disagree.
	Tampered []string `json:"tampered"`
	Tags     []Tag    `json:"tags"`
	// UndoFile is where the undo ledger was written (--undo-file).
	UndoFile string  `json:"undoFile"`
	Outputs  Outputs `json:"-"` // the envelope carries them, as JSON values
}

// Tag is one tag's plan and outcome. From is empty when the tag was absent.
type Tag struct {
	Ref    string `json:"ref"`
	From   string `json:"from,omitempty"`
	To     string `json:"to"`
	State  State  `json:"state"`
	Reason string `json:"reason,omitempty"`
	// RecordedIn is where the digest was recorded, when the ledger names it
	// per image (audit's drift ledger); else the report's source says.
	RecordedIn string `json:"recordedIn,omitempty"`
	// Attached is what is attached to the target digest (--referrers).
	Attached *ledger.Attached `json:"attached,omitempty"`
	// Signature is the signature gate's verdict on the target digest.
	Signature *gate.Verdict `json:"signature,omitempty"`

	target  target
	failure error
	read    bool // the plan read the tag: an empty From then means absent
	moved   bool // a failed write left the tag somewhere other than From
	unknown bool // the tag could not be read back after a write
}

// touched reports whether the tag may no longer be where it was.
func (t Tag) touched() bool { return t.State == Restored || t.moved || t.unknown }

// Change is one entry of the changed output.
type Change struct {
	Ref  string `json:"ref"`
	From string `json:"from"`
	To   string `json:"to"`
}

// Outputs are the action outputs of restore.
type Outputs struct {
	Changed []Change `json:"changed"`
	// Undo is a ledger of the previous digests of the tags written:
	// restore --from-ledger on it reverses this restore.
	Undo string `json:"undo"`
}

func (r *Report) finish(stopped string) {
	counts := map[State]int{}
	r.Outputs.Changed = []Change{}
	now := time.Now
	if r.now != nil {
		now = r.now
	}
	undo := &ledger.Ledger{Schema: ledger.Schema, Created: now().UTC().Truncate(time.Second)}
	for _, t := range r.Tags {
		counts[t.State]++
		if t.State == Restored {
			r.Outputs.Changed = append(r.Outputs.Changed, Change{Ref: t.Ref, From: t.From, To: t.To})
		}
		// A tag that was absent has no previous digest; undo cannot remove
		// it (tagguard never deletes).
		if t.From != "" && (t.touched() || (r.PlanOnly && t.State == Planned)) {
			undo.Images = append(undo.Images, ledger.Image{Ref: t.Ref, Digest: t.From})
		}
	}
	// The undo ledger holds digests read from the registry and refs that
	// already parsed: it always marshals.
	b, _ := undo.Marshal()
	r.Outputs.Undo = strings.TrimSpace(string(b))
	parts := []string{}
	for _, s := range []State{Restored, Unchanged, Advanced, Held, Planned, Failed, Skipped} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	if len(r.Tags) == 0 {
		parts = append(parts, "nothing to restore: "+r.Source+" holds no images")
	}
	switch {
	case stopped != "":
		r.Summary = "STOPPED: " + stopped
	case r.PlanOnly:
		r.Summary = "DRY RUN: " + strings.Join(parts, ", ") + "; nothing was written"
	case counts[Failed]+counts[Skipped] > 0 && r.touchedAny():
		r.Summary = "PARTLY APPLIED: " + strings.Join(parts, ", ") + "; re-run to finish"
	case counts[Failed]+counts[Skipped] > 0:
		r.Summary = "FAILED: " + strings.Join(parts, ", ") + "; nothing was changed"
	case counts[Held] > 0:
		r.Summary = "BLOCKED: " + strings.Join(parts, ", ") + "; a held tag was left where it is (see its row)"
	default:
		r.Summary = "OK: " + strings.Join(parts, ", ")
	}
}

func (r *Report) touchedAny() bool {
	for _, t := range r.Tags {
		if t.touched() {
			return true
		}
	}
	return false
}

// settle maps the applied outcome to an exit code: 4 as soon as any tag may
// have changed, 3 when none did; a held floating tag alone is a refusal
// (exit 1), in the report.
func (r *Report) settle() error {
	restored, bad, held := 0, 0, 0
	for _, t := range r.Tags {
		switch t.State {
		case Restored:
			restored++
		case Failed, Skipped:
			bad++
		case Held:
			held++
		}
	}
	switch {
	case bad == 0 && held > 0:
		r.Refuse("%d floating tag(s) held where a newer version no ledger read records: give that release's ledger, or --allow-backward to move them back", held)
		return nil
	case bad == 0:
		return nil
	case r.touchedAny():
		return errkind.New(errkind.Partial, fmt.Errorf("restore partly applied: %d tag(s) restored, %d not; the report names each", restored, bad))
	default:
		return errkind.Remotef("restore failed: none of %d tag(s) could be written; nothing was changed", bad)
	}
}

// WouldRefuse is the refusal a dry run owes: applied, a plan with a held
// floating tag ends in exit 1, and so does its dry run.
func (r *Report) WouldRefuse() string {
	for _, t := range r.Tags {
		if t.State == Held {
			return "a floating tag is held where a newer version no ledger read records: give that release's ledger, or --allow-backward to move it back"
		}
	}
	return ""
}

// Headline is the summary line.
func (r *Report) Headline() string { return r.Summary }

// SetHeadline replaces the summary line (report.Agree).
func (r *Report) SetHeadline(s string) { r.Summary = s }

// Blocking is false: restore has no guard verdict of its own; each of its
// refusals (a tampered ledger, the pre-flight, the gate, a held floating
// tag) is the report's Refusal.
func (r *Report) Blocking() bool { return false }
