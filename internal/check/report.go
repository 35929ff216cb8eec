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
	Command string  `json:"command"`
	Blocked bool    `json:"blocked"`
	Summary string  `json:"summary"`
	Version string  `json:"version,omitempty"`
	Digest  string  `json:"digest,omitempty"`
	Source  string  `json:"source,omitempty"`
	Refs    []Ref   `json:"refs"`
	Guards  []Guard `json:"guards"`
}

// Ref is one image reference's verdict.
type Ref struct {
	Ref       string      `json:"ref"`
	Tag       string      `json:"tag"`
	Kind      policy.Kind `json:"kind"`
	Exists    bool        `json:"exists"`
	Current   string      `json:"current,omitempty"`
	MediaType string      `json:"mediaType,omitempty"`
	Verdict   string      `json:"verdict"`
	Guard     string      `json:"guard,omitempty"`
	Reason    string      `json:"reason"`
	Fix       string      `json:"fix,omitempty"`

	ref name.Tag
	err error
}

// Guard is one guard's verdict over the whole run.
type Guard struct {
	Name    string `json:"name"`
	Verdict string `json:"verdict"`
	Detail  string `json:"detail"`
	Fix     string `json:"fix,omitempty"`
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
		r.Summary = "INCOMPLETE: the registry could not be read; nothing is known to be safe. " + r.Summary
		r.Blocked = true
	}
}

// Now says what the tag points at for a report: a digest, absent, or
// unknown when the registry could not be read.
func (r Ref) Now() string {
	switch {
	case r.Verdict == Error:
		return "unknown (not read)"
	case r.Exists:
		return r.Current
	}
	return "absent"
}

// BlockedRefs returns the refs a guard blocked, for annotations.
func (r *Report) BlockedRefs() []Ref {
	var out []Ref
	for _, ref := range r.Refs {
		if ref.Verdict == Blocked {
			out = append(out, ref)
		}
	}
	return out
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
		fmt.Fprintf(&b, "%-7s %s\n", strings.ToUpper(ref.Verdict), ref.Ref)
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
