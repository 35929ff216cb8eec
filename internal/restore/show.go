package restore

import (
	"fmt"
	"io"
	"strings"

	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/report"
	"github.com/tagguard/tagguard/internal/tagwrite"
)

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

// Show is what the action shows of a restore: a row per tag, a notice per
// restored tag, an error per failed or skipped one, and the outputs.
func (r *Report) Show() report.Shown {
	s := load.Shown(r.Source, r.LedgerSource, r.Tampered)
	s.Title = r.Summary
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
