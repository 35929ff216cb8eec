package audit

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/report"
)

// WriteText writes the human report.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "tagguard audit: %s\n", r.Summary)
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "unreadable: %s: %s\n", p.From, p.Reason)
	}
	for _, t := range r.Tampered {
		fmt.Fprintf(&b, "tampered: %s: its notes and its ledger asset disagree; the asset%s is audited:\n", t.From, load.Describe(load.Evidence(t.Evidence)))
		for _, d := range t.Differences {
			fmt.Fprintf(&b, "  %s\n", d)
		}
	}
	for _, p := range r.Flags {
		fmt.Fprintf(&b, "warning: %s: %s\n", p.From, p.Reason)
	}
	if e := evidenceLine(r.Evidence); e != "" {
		fmt.Fprintf(&b, "evidence: %s\n", e)
	}
	b.WriteString("\n")
	// Problems first: a person scans from the top.
	rows := slices.Clone(r.Refs)
	slices.SortStableFunc(rows, func(a, b Ref) int {
		return cmp.Compare(okRank(a.State), okRank(b.State))
	})
	for _, ref := range rows {
		fmt.Fprintf(&b, "%-13s %s\n", strings.ToUpper(string(ref.State)), ref.Ref)
		if ref.Restorable != nil && !*ref.Restorable {
			fmt.Fprintf(&b, "              unrestorable: its recorded digest is gone; rebuild from source\n")
		}
		fmt.Fprintf(&b, "              recorded %s (%s, %s)\n", ref.Recorded, ref.From, ref.Created.Format(time.RFC3339))
		if ref.Reason != "" {
			fmt.Fprintf(&b, "              %s\n", ref.Reason)
		}
		if ref.Attached != nil {
			fmt.Fprintf(&b, "              attached: %s\n", oci.FromRecord(ref.Attached))
		}
	}
	switch {
	case len(r.Drift.Images) > 0 && r.DriftFile != "":
		fmt.Fprintf(&b, "\n%s can be restored from the drift ledger written to %s:\n  tagguard restore --from-ledger %s --dry-run\n", report.Plural(len(r.Drift.Images), "ref"), r.DriftFile, r.DriftFile)
	case len(r.Drift.Images) > 0:
		fmt.Fprintf(&b, "\n%s can be restored from the drift ledger (--drift-file PATH writes it; the JSON report's outputs.drift and the action's drift output hold it):\n  tagguard audit ... --drift-file drift.json; tagguard restore --from-ledger drift.json --dry-run\n", report.Plural(len(r.Drift.Images), "ref"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Show is what the action shows of an audit: a row per ref not ok first,
// an error annotation per drifted, missing, unrestorable or inconsistent
// ref, a warning per unread one, and the drift output.
func (r *Report) Show() report.Shown {
	s := report.Shown{Title: r.Summary}
	for _, p := range r.Problems {
		s.Notes = append(s.Notes, p.From+": "+p.Reason)
		s.Annotations = append(s.Annotations, report.Annotation{Level: report.Bad, Title: "tagguard: " + p.From + " unreadable",
			Message: p.From + ": its ledger section cannot be read (" + p.Reason + "), so its tags were not audited: fix or re-record it"})
	}
	for _, t := range r.Tampered {
		s.Notes = append(s.Notes, t.From+" is tampered: "+strings.Join(t.Differences, "; "))
		s.Annotations = append(s.Annotations, report.Annotation{Level: report.Bad, Title: "tagguard: " + t.From + " tampered",
			Message: t.From + ": its notes and its ledger asset " + ledger.AssetName + " disagree (" + strings.Join(t.Differences, "; ") + "); the asset's record was audited. Someone with write access edited the notes (or replaced a mutable release's asset): find out who before anything is restored"})
	}
	if e := evidenceLine(r.Evidence); e != "" {
		s.Notes = append(s.Notes, "Evidence: "+e+".")
	}
	for _, p := range r.Flags {
		s.Notes = append(s.Notes, p.From+": "+p.Reason)
		s.Annotations = append(s.Annotations, report.Annotation{Level: report.Warning, Title: "tagguard: " + p.From + " date not believed", Message: p.From + ": " + p.Reason})
	}
	t := report.Table{Columns: []report.Column{{Name: "state", Kind: report.Verdict}, {Name: "ref", Kind: report.Code}, {Name: "recorded", Kind: report.Digest}, {Name: "now", Kind: report.Digest}, {Name: "restorable"}, {Name: "detail"}}}
	var ok []report.Row
	for _, ref := range r.Refs {
		restorable := ""
		if ref.Restorable != nil {
			restorable = map[bool]string{true: "yes", false: "no: rebuild"}[*ref.Restorable]
		}
		row := report.Row{Level: report.Bad, Cells: []string{string(ref.State), ref.Ref, ref.Recorded, ref.Now, restorable, ref.Reason}}
		switch ref.State {
		case OK:
			row.Level = report.Good
			ok = append(ok, row)
			continue
		case Unknown:
			row.Level = report.Warning
			s.Annotations = append(s.Annotations, report.Annotation{Level: report.Warning, Title: "tagguard: " + ref.Ref + " unknown", Message: ref.Ref + ": " + ref.Reason})
		default:
			s.Annotations = append(s.Annotations, report.Annotation{Level: report.Bad, Title: "tagguard: " + ref.Ref + " " + string(ref.State), Message: ref.Ref + ": " + ref.Reason})
		}
		t.Rows = append(t.Rows, row)
	}
	t.Rows = append(t.Rows, ok...)
	s.Tables = []report.Table{t}
	s.Outputs = []report.Output{{Name: "drift", Value: r.Outputs.Drift}}
	s.Next = r.next()
	return s
}

// next is the step after this audit, in the workflow's terms.
func (r *Report) next() string {
	switch {
	case len(r.Tampered) > 0:
		return "find out who edited the tampered release's notes or asset before anything is restored"
	case r.Drift != nil && len(r.Drift.Images) > 0:
		return "review the drifted rows, then restore them from this run's drift output (dry run first): tagguard restore --from-ledger drift.json --dry-run"
	case r.blocked:
		return "nothing here can be restored from a ledger: the rows say what to rebuild or confirm"
	case strings.HasPrefix(r.Summary, "INCOMPLETE"):
		return "run again: some ledgers or tags could not be read"
	}
	return ""
}

// okRank puts refs that are not ok before those that are.
func okRank(s State) int {
	if s == OK {
		return 1
	}
	return 0
}
