package gate

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/report"
)

// Outcome is what a command makes of its digests' verdicts: whether all
// passed, whether one could not be read (the run then cannot tell:
// exit 3, never a pass), and a line per digest for its report.
type Outcome struct {
	Passed  bool
	Unknown bool
	Lines   []string // "REPO@sha256:…: verified by …", in the order given
	Failed  []string // the lines of the digests that did not pass
}

// Judge is the Outcome of ds given their verdicts (CheckAll's map).
func Judge(ds []name.Digest, verdicts map[string]Verdict) Outcome {
	o := Outcome{Passed: true}
	for _, d := range ds {
		v, ok := verdicts[oci.AttachedKey(d)]
		if !ok {
			v = Verdict{Digest: d.DigestStr(), State: Unknown, Why: "not checked"}
		}
		line := d.String() + ": " + v.String()
		o.Lines = append(o.Lines, line)
		if !v.Passed() {
			o.Passed = false
			o.Failed = append(o.Failed, line)
			o.Unknown = o.Unknown || v.State == Unknown
		}
	}
	return o
}

// Fix is the fix line for a digest that did not pass.
func (g *Gate) Fix() string {
	return fmt.Sprintf("sign the digest as the gate asks (%s), or name the key (--signature-key) or identity (--certificate-identity) that did sign it", g.Options().Wants())
}

// Refusal is what a writing command says when the gate refused what it
// was to write (report.Refusal): which digests, and the fix.
func (g *Gate) Refusal(out Outcome) string {
	return fmt.Sprintf("the signature gate refused %s: nothing was written. %s", Clip(out.Failed, 3), g.Fix())
}

// Headline is one line for a plan's header: what the gate asks.
func (g *Gate) Headline() string {
	if g == nil {
		return ""
	}
	return "signature gate: " + g.Options().Wants()
}

// Clip joins lines for a guard's detail, at most n of them.
func Clip(lines []string, n int) string {
	if len(lines) <= n {
		return strings.Join(lines, "; ")
	}
	return strings.Join(lines[:n], "; ") + fmt.Sprintf("; and %d more", len(lines)-n)
}

// Named is a verdict with the reference it was asked for.
type Named struct {
	Ref     string  `json:"ref"`
	Verdict Verdict `json:"signature"`
}

// Table is the job summary's table of verdicts, one row per digest, and
// an annotation for each that did not pass.
func Table(rows []Named) (report.Table, []report.Annotation) {
	t := report.Table{Columns: []report.Column{{Name: "signature", Kind: report.Verdict}, {Name: "digest", Kind: report.Code}, {Name: "detail"}}}
	var notes []report.Annotation
	for _, r := range rows {
		lvl, detail := report.Good, r.Verdict.By
		if r.Verdict.Via != "" {
			detail += " (" + r.Verdict.Via + ")"
		}
		if !r.Verdict.Passed() {
			lvl, detail = report.Bad, r.Verdict.Why
			notes = append(notes, report.Annotation{Level: report.Bad, Title: "tagguard: " + r.Ref + " " + string(r.Verdict.State), Message: r.Ref + ": " + r.Verdict.String()})
		}
		t.Rows = append(t.Rows, report.Row{Level: lvl, Cells: []string{string(r.Verdict.State), r.Ref, detail}})
	}
	return t, notes
}

// Show adds the verdicts' table and their annotations to a job summary,
// when there are verdicts (the gate was on).
func Show(s *report.Shown, rows []Named) {
	if len(rows) == 0 {
		return
	}
	t, notes := Table(rows)
	s.Tables = append(s.Tables, t)
	s.Annotations = append(s.Annotations, notes...)
}
