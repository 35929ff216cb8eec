package promote

import (
	"fmt"
	"io"
	"strings"

	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/report"
	"github.com/tagguard/tagguard/internal/tagwrite"
)

// WriteText writes the human report.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "tagguard promote: %s\n\nsources:\n", r.Summary)
	for _, s := range r.Sources {
		fmt.Fprintf(&b, "  %s\n", strings.TrimRight(fmt.Sprintf("%s %s %s", s.Ref, s.MediaType, strings.Join(s.Platforms, ",")), " "))
		for _, d := range sortedKeys(s.Attached) {
			if a := oci.FromRecord(s.Attached[d]); a.Named() {
				fmt.Fprintf(&b, "    %s: %s\n", d, a)
			}
		}
		if s.Problem != "" {
			fmt.Fprintf(&b, "    %s\n", s.Problem)
		}
		if s.Signature != nil {
			fmt.Fprintf(&b, "    signature: %s\n", s.Signature)
		}
	}
	if r.Published.Digest != "" {
		how := "the source's exact bytes"
		if r.Published.Built {
			how = "an image index built from the sources"
		}
		fmt.Fprintf(&b, "publishes %s (%s, %s)\n", r.Published.Digest, r.Published.MediaType, how)
		if a := oci.FromRecord(r.Published.Attached); r.Published.Attached != nil && a.Named() {
			fmt.Fprintf(&b, "  attached: %s\n", a)
		}
		if n := r.signedSources(); r.Published.Built && n > 0 {
			fmt.Fprintf(&b, "  the index is new bytes: nothing signs it yet, though %d source digest(s) are signed or attested: sign and attest the index after promote (its digest is the digest output)\n", n)
		}
	}
	b.WriteString("\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "%-10s %s\n", strings.ToUpper(string(t.State)), t.Ref)
		fmt.Fprintf(&b, "           %s, from %s\n", t.Action, tagwrite.OrAbsent(t.From))
		if t.Reason != "" {
			fmt.Fprintf(&b, "           %s\n", t.Reason)
		}
	}
	for _, c := range r.Copies {
		fmt.Fprintf(&b, "copied %s\n", c)
	}
	if r.Check != nil {
		b.WriteString("\nguards:\n")
		for _, g := range r.Check.Guards {
			fmt.Fprintf(&b, "  %-15s %-8s %s\n", g.Name, g.Verdict, g.Detail)
		}
		for _, ref := range r.Check.Refs {
			if ref.Verdict == check.Blocked || ref.Verdict == check.Error {
				fmt.Fprintf(&b, "  %s: %s\n", ref.Ref, ref.Reason)
				if ref.Fix != "" {
					fmt.Fprintf(&b, "    fix: %s\n", ref.Fix)
				}
			}
		}
	}
	if r.Record != nil {
		// The record in a line each: the refs and their digest are the
		// rows above; what is new is where the ledger went.
		fmt.Fprintf(&b, "\nrecord: %s\n", r.Record.Summary)
		if f := r.Record.LedgerFile; f != nil {
			fmt.Fprintf(&b, "  ledger file %s: %s\n", f.Path, f.Action)
		}
		if rel := r.Record.Release; rel != nil {
			fmt.Fprintf(&b, "  release notes: %s\n", rel.Action)
			if rel.Asset != "" {
				fmt.Fprintf(&b, "  ledger asset: %s\n", rel.Asset)
			}
		}
		if o := r.Record.Outputs; len(o.Digests) > 0 {
			fmt.Fprintf(&b, "  outputs: digest %s, ledger-digest %s\n", orElse(o.Digest, "(several)"), o.LedgerDigest)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Show is what the action shows of a promote.
func (r *Report) Show() report.Shown {
	s := report.Shown{Title: r.Summary}
	t := report.Table{Columns: []report.Column{{Name: "state", Kind: report.Verdict}, {Name: "ref", Kind: report.Code}, {Name: "from", Kind: report.Digest}, {Name: "now", Kind: report.Digest}, {Name: "detail"}}}
	for _, tg := range r.Targets {
		lvl := report.Good
		switch tg.State {
		case Failed, LostRace, Replaced:
			lvl = report.Bad
			s.Annotations = append(s.Annotations, report.Annotation{Level: report.Bad, Title: "tagguard: " + tg.Ref + " " + string(tg.State), Message: tg.Ref + ": " + tg.Reason})
		case Skipped, Planned, Create, Move:
			lvl = report.Warning
		}
		t.Rows = append(t.Rows, report.Row{Level: lvl, Cells: []string{string(tg.State), tg.Ref, tagwrite.OrAbsent(tg.From), tg.Now, tg.Reason}})
	}
	s.Tables = []report.Table{t}
	var signed []gate.Named
	for _, src := range r.Sources {
		if src.Signature != nil {
			signed = append(signed, gate.Named{Ref: src.Ref, Verdict: *src.Signature})
		}
	}
	gate.Show(&s, signed)
	if r.Check != nil {
		cs := r.Check.Show()
		if len(cs.Tables) > 1 {
			s.Tables = append(s.Tables, cs.Tables[1])
		}
		if r.Check.Blocked {
			s.Annotations = append(s.Annotations, cs.Annotations...)
		}
	}
	if r.Record != nil {
		s.Footer = r.Record.Show().Footer
	}
	s.Outputs = append([]report.Output{{Name: "blocked", Value: fmt.Sprint(r.Blocked)}}, r.Outputs.Shown()...)
	s.Next = r.next()
	return s
}
