package check

import (
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/policy"
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
	switch {
	case r.Blocked:
		r.Summary = fmt.Sprintf("BLOCKED by %s: %d of %s blocked", strings.Join(blocked, ", "), nBlocked, plural(len(r.Refs), "ref"))
	default:
		r.Summary = fmt.Sprintf("OK: %s may be published", plural(len(r.Refs), "ref"))
	}
	for _, g := range r.Guards {
		if g.Verdict == Error {
			r.Summary = "INCOMPLETE: the registry could not be read; nothing is known to be safe"
		}
	}
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
		current := "absent"
		if ref.Exists {
			current = ref.Current
		}
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

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
