package check

import (
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/report"
)

// Report is the outcome of a check: the same content in text and JSON.
type Report struct {
	report.Refusal `json:"-"` // why it refused, if it did: exit 1, never an error
	Command        string     `json:"-"` // the envelope names it
	Blocked        bool       `json:"blocked"`
	Summary        string     `json:"-"` // the envelope carries it
	Version        string     `json:"version"`
	Digest         string     `json:"digest"`
	Source         string     `json:"source"`
	Refs           []Ref      `json:"refs"`
	Guards         []Guard    `json:"guards"`
}

// Ref is one image reference's verdict.
type Ref struct {
	Ref  string      `json:"ref"`
	Tag  string      `json:"tag"`
	Kind policy.Kind `json:"kind"`
	// State is what the registry said of the tag: present, absent, or
	// unknown when it could not be read. Exists is set only when known:
	// an unread ref makes no claim about existing.
	State     State   `json:"state"`
	Exists    *bool   `json:"exists,omitempty"`
	Current   string  `json:"current,omitempty"`
	MediaType string  `json:"mediaType,omitempty"`
	Verdict   Verdict `json:"verdict"`
	Guard     string  `json:"guard,omitempty"`
	Reason    string  `json:"reason"`
	Fix       string  `json:"fix,omitempty"`

	ref name.Tag
	err error
}

// State is what the registry holds at a ref.
type State string

// The states of a ref.
const (
	Present State = "present"
	Absent  State = "absent"
	Unknown State = "unknown" // not read: no claim either way
)

// exists reports whether the tag is known to exist.
func (r Ref) exists() bool { return r.Exists != nil && *r.Exists }

// Guard is one guard's verdict over the whole run.
type Guard struct {
	Name    string  `json:"name"`
	Verdict Verdict `json:"verdict"`
	Detail  string  `json:"detail"`
	Fix     string  `json:"fix,omitempty"`
}

func (r *Report) finish() {
	var blocked []string
	for _, g := range r.Guards {
		if g.Verdict == Blocked {
			blocked = append(blocked, g.Name)
		}
	}
	r.Blocked = len(blocked) > 0
	nBlocked := 0
	for _, ref := range r.Refs {
		if ref.Verdict == Blocked {
			nBlocked++
		}
	}
	incomplete := false
	for _, g := range r.Guards {
		incomplete = incomplete || g.Verdict == Error
	}
	unread := 0
	for i := range r.Refs {
		ref := &r.Refs[i]
		switch {
		case ref.Exists == nil:
			ref.State = Unknown
			unread++
		case *ref.Exists:
			ref.State = Present
		default:
			ref.State = Absent
		}
	}
	incomplete = incomplete || unread > 0
	notRead := 0
	for _, ref := range r.Refs {
		if ref.Verdict == Error || ref.Exists == nil {
			notRead++
		}
	}
	switch {
	case r.Blocked && nBlocked > 0:
		r.Summary = fmt.Sprintf("BLOCKED by %s: %d of %s blocked", strings.Join(blocked, ", "), nBlocked, report.Plural(len(r.Refs), "ref"))
	case r.Blocked:
		r.Summary = fmt.Sprintf("BLOCKED by %s (a run-level guard; see guards)", strings.Join(blocked, ", "))
	default:
		r.Summary = fmt.Sprintf("OK: %s may be published", report.Plural(len(r.Refs), "ref"))
	}
	if incomplete {
		// Nothing is known to be safe: the run counts as blocked, so a
		// workflow reading the blocked output never publishes on it.
		// And no line may say anything may be published.
		r.Summary = fmt.Sprintf("INCOMPLETE: %d of %s could not be read; nothing is known to be safe", notRead, report.Plural(len(r.Refs), "ref"))
		if r.Blocked && nBlocked > 0 {
			r.Summary += fmt.Sprintf("; BLOCKED by %s: %d blocked", strings.Join(blocked, ", "), nBlocked)
		} else if len(blocked) > 0 {
			r.Summary += "; BLOCKED by " + strings.Join(blocked, ", ")
		}
		r.Blocked = true
	}
}

// Now says what the tag points at for a report: a digest, absent, or
// unknown when the registry could not be read.
func (r Ref) Now() string {
	switch {
	case r.Verdict == Error:
		return "unknown (not read)"
	case r.exists():
		return r.Current
	}
	return "absent"
}

// WriteText writes the human report.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "tagguard check: %s\n", r.Summary)
	if r.Source != "" {
		fmt.Fprintf(&b, "images from %s\n", r.Source)
	}
	if r.Version != "" {
		fmt.Fprintf(&b, "version %s", r.Version)
		if r.Digest != "" {
			fmt.Fprintf(&b, ", digest %s", r.Digest)
		}
		b.WriteString("\n")
	} else if r.Digest != "" {
		fmt.Fprintf(&b, "digest %s\n", r.Digest)
	}
	b.WriteString("\n")
	for _, ref := range r.Refs {
		current := ref.Now()
		fmt.Fprintf(&b, "%-7s %s\n", strings.ToUpper(string(ref.Verdict)), ref.Ref)
		fmt.Fprintf(&b, "        %s tag, now %s\n", ref.Kind, current)
		fmt.Fprintf(&b, "        %s\n", ref.Reason)
		if ref.Fix != "" {
			fmt.Fprintf(&b, "        fix: %s\n", ref.Fix)
		}
	}
	b.WriteString("\nguards:\n")
	for _, g := range r.Guards {
		fmt.Fprintf(&b, "  %-15s %-8s %s\n", g.Name, g.Verdict, g.Detail)
		if g.Fix != "" {
			fmt.Fprintf(&b, "  %-15s %-8s fix: %s\n", "", "", g.Fix)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Headline is the summary line.
func (r *Report) Headline() string { return r.Summary }

// SetHeadline replaces the summary line (report.Agree).
func (r *Report) SetHeadline(s string) { r.Summary = s }

// Blocking reports whether the publish must not go ahead.
func (r *Report) Blocking() bool { return r.Blocked }

// Show is what the action shows of a check: a row per ref and per guard,
// an error annotation per blocked ref and per blocked run-level guard, and
// the blocked output.
func (r *Report) Show() report.Shown {
	s := report.Shown{Title: r.Summary}
	if r.Source != "" {
		s.Notes = append(s.Notes, "Images from "+r.Source+".")
	}
	refs := report.Table{Columns: []report.Column{{Name: "verdict", Kind: report.Verdict}, {Name: "ref", Kind: report.Code}, {Name: "kind"}, {Name: "now", Kind: report.Digest}, {Name: "reason"}}}
	for _, ref := range r.Refs {
		refs.Rows = append(refs.Rows, report.Row{Level: level(ref.Verdict), Cells: []string{string(ref.Verdict), ref.Ref, string(ref.Kind), ref.Now(), withFix(ref.Reason, ref.Fix)}})
		if ref.Verdict == Blocked {
			s.Annotations = append(s.Annotations, report.Annotation{Level: report.Bad, Title: "tagguard: " + ref.Tag + " blocked", Message: ref.Ref + ": " + withFix(ref.Reason, ref.Fix)})
		}
	}
	guards := report.Table{Columns: []report.Column{{Name: "guard"}, {Name: "verdict", Kind: report.Verdict}, {Name: "detail"}}}
	for _, g := range r.Guards {
		guards.Rows = append(guards.Rows, report.Row{Level: level(g.Verdict), Cells: []string{g.Name, string(g.Verdict), withFix(g.Detail, g.Fix)}})
		// Blocked refs already have an annotation each.
		if g.Verdict == Blocked && g.Name != GuardImmutable && g.Name != GuardFloating {
			s.Annotations = append(s.Annotations, report.Annotation{Level: report.Bad, Title: "tagguard: " + g.Name + " guard blocked", Message: withFix(g.Detail, g.Fix)})
		}
	}
	s.Tables = []report.Table{refs, guards}
	s.Outputs = []report.Output{{Name: "blocked", Value: fmt.Sprint(r.Blocked)}}
	s.Next = r.next()
	return s
}

func level(v Verdict) report.Level {
	switch v {
	case Blocked, Error:
		return report.Bad
	case Warn, Skipped:
		return report.Warning
	}
	return report.Good
}

func withFix(text, fix string) string {
	if fix == "" {
		return text
	}
	return text + ". To fix: " + fix
}

// next is the step after this check, in the workflow's terms.
func (r *Report) next() string {
	switch {
	case r.Blocked && strings.HasPrefix(r.Summary, "INCOMPLETE"):
		return "run this step again: the registry could not be read, so nothing is known to be safe to publish"
	case r.Blocked:
		return "nothing may be published: fix what the blocked rows say, then run this step again"
	}
	return "push the build, then record what was pushed (tagguard record --images …)"
}
