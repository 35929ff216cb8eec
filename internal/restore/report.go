package restore

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/tagwrite"

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
	report.Refusal `json:"-"` // why it refused, if it did: exit 1, never an error
	Command        string     `json:"-"`      // the envelope names it
	Summary        string     `json:"-"`      // the envelope carries it
	PlanOnly       bool       `json:"dryRun"` // the plan, not applied
	Source         string     `json:"source"`
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
	undo := &ledger.Ledger{Schema: ledger.Schema, Created: time.Now().UTC().Truncate(time.Second)}
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

// WriteText writes the human report.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "tagguard restore: %s\nfrom %s%s\n", r.Summary, r.Source, load.Describe(load.Evidence(r.LedgerSource)))
	for _, t := range r.Tampered {
		fmt.Fprintf(&b, "tampered: %s\n", t)
	}
	b.WriteString("\n")
	for _, t := range r.Tags {
		from := t.from()
		fmt.Fprintf(&b, "%-9s %s\n", strings.ToUpper(string(t.State)), t.Ref)
		fmt.Fprintf(&b, "          from %s\n          to   %s\n", from, t.To)
		if t.RecordedIn != "" {
			fmt.Fprintf(&b, "          as recorded in %s\n", t.RecordedIn)
		}
		if t.Attached != nil {
			fmt.Fprintf(&b, "          attached to the target: %s\n", oci.FromRecord(t.Attached))
		}
		if t.Signature != nil {
			fmt.Fprintf(&b, "          signature: %s\n", t.Signature)
		}
		if t.Reason != "" {
			fmt.Fprintf(&b, "          %s\n", t.Reason)
		}
	}
	var undo, created []string
	for _, c := range r.Outputs.Changed {
		if c.From != "" {
			undo = append(undo, c.Ref+"@"+c.From)
		} else {
			created = append(created, c.Ref)
		}
	}
	if len(created) > 0 {
		fmt.Fprintf(&b, "\nno undo can remove %s: absent before, and tagguard never deletes a tag\n", strings.Join(created, ", "))
	}
	switch {
	case len(undo) > 0 && r.UndoFile != "":
		fmt.Fprintf(&b, "\nto undo this restore (the undo ledger is in %s):\n  tagguard restore --from-ledger %s\n", r.UndoFile, r.UndoFile)
	case len(undo) > 0:
		fmt.Fprintf(&b, "\nto undo this restore:\n  tagguard restore --pin %s\n", strings.Join(undo, ",\\\n    "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Headline is the summary line.
func (r *Report) Headline() string { return r.Summary }

// SetHeadline replaces the summary line (report.Agree).
func (r *Report) SetHeadline(s string) { r.Summary = s }

// Blocking is false: a restore's pre-flight refusal comes as an error.
func (r *Report) Blocking() bool { return false }

// Show is what the action shows of a restore: a row per tag, a notice per
// restored tag, an error per failed or skipped one, and the outputs.
func (r *Report) Show() report.Shown {
	s := report.Shown{Title: r.Summary, Notes: []string{"From " + r.Source + load.Describe(load.Evidence(r.LedgerSource)) + "."}}
	for _, t := range r.Tampered {
		s.Annotations = append(s.Annotations, report.Annotation{Level: report.Bad, Title: "tagguard: " + r.Source + " tampered", Message: t})
	}
	t := report.Table{Columns: []report.Column{{Name: "state", Kind: report.Verdict}, {Name: "ref", Kind: report.Code}, {Name: "from", Kind: report.Digest}, {Name: "to", Kind: report.Digest}, {Name: "detail"}}}
	for _, tag := range r.Tags {
		lvl := report.Good
		switch tag.State {
		case Failed, Held:
			lvl = report.Bad
		case Skipped, Planned:
			lvl = report.Warning
		}
		t.Rows = append(t.Rows, report.Row{Level: lvl, Cells: []string{string(tag.State), tag.Ref, tag.from(), tag.To, tag.Reason}})
		switch tag.State {
		case Restored:
			s.Annotations = append(s.Annotations, report.Annotation{Level: report.Good, Title: "tagguard: restored " + tag.Ref, Message: fmt.Sprintf("%s now points at %s again (was %s)", tag.Ref, tag.To, tagwrite.OrAbsent(tag.From))})
		case Failed, Skipped, Held:
			s.Annotations = append(s.Annotations, report.Annotation{Level: report.Bad, Title: "tagguard: " + tag.Ref + " " + string(tag.State), Message: tag.Ref + ": " + tag.Reason})
		}
	}
	s.Tables = []report.Table{t}
	var signed []gate.Named
	seen := map[string]bool{}
	for _, tag := range r.Tags {
		if d := tag.target.tag.Context().Digest(tag.To).String(); tag.Signature != nil && !seen[d] {
			seen[d] = true
			signed = append(signed, gate.Named{Ref: d, Verdict: *tag.Signature})
		}
	}
	gate.Show(&s, signed)
	s.Outputs = []report.Output{{Name: "changed", Value: r.Outputs.Changed}, {Name: "undo", Value: r.Outputs.Undo}}
	s.Next = r.next()
	return s
}

// next is the step after this restore, in the workflow's terms.
func (r *Report) next() string {
	held := false
	for _, t := range r.Tags {
		held = held || t.State == Held
	}
	switch {
	case r.PlanOnly && len(r.Tags) > 0:
		return "read the plan, then run again with --dry-run=false to restore these tags"
	case len(r.Tampered) > 0:
		return "nothing was written: find out who edited the release's notes or asset before anything is restored"
	case strings.HasPrefix(r.Summary, "PARTLY") || strings.HasPrefix(r.Summary, "FAILED") || strings.HasPrefix(r.Summary, "STOPPED"):
		return "run again: restore writes only what is still wrong"
	case held:
		return "give the newer release's ledger (--from-ledger) to confirm the held tags, or move them back on purpose with --allow-backward"
	case strings.HasPrefix(r.Summary, "BLOCKED"):
		return "nothing was written: resolve what the refusal names, then run again"
	case len(r.Outputs.Changed) > 0:
		return "audit to confirm every tag is where its record says (tagguard audit --from-releases); the undo output reverses this restore"
	}
	return ""
}

// from is where the tag pointed before, as the reports say it: a digest,
// absent, or not read (the plan stopped before it read the tag), never
// one taken for the other.
func (t Tag) from() string {
	switch {
	case t.From != "":
		return t.From
	case t.read:
		return "absent"
	}
	return "(not read)"
}
