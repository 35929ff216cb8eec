package pin

import (
	"fmt"
	"io"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/report"
)

// State is a service's pin, or its check.
type State string

// The states.
const (
	Pinned     State = "pinned"     // pinned at the ledger's digest
	Resolved   State = "resolved"   // not in the ledger: pinned at the tag's digest now (--resolve)
	Unrecorded State = "unrecorded" // not in the ledger: left out
	OK         State = "ok"         // --verify: pinned at the ledger's digest, which exists
	Differs    State = "differs"    // --verify: pinned elsewhere than the ledger records
	Pruned     State = "pruned"     // --verify: the pinned digest is gone
	NotPinned  State = "not-pinned" // --verify: a recorded image followed by tag, not pinned by digest
	Other      State = "other"      // --verify: an image the ledger records nothing of: not judged
	Unknown    State = "unknown"    // --verify: the registry could not be read
	Unverified State = "unverified" // --verify: at the ledger's digest, but no signature over it verifies (the signature gate)
)

// Service is one compose service.
type Service struct {
	Service  string `json:"service"`
	File     string `json:"file"`
	Image    string `json:"image"`
	Pinned   string `json:"pinned,omitempty"`
	Recorded string `json:"recorded,omitempty"`
	State    State  `json:"state"`
	Reason   string `json:"reason,omitempty"`
	// Fix is what to do next, for a row that blocks a deploy.
	Fix string `json:"fix,omitempty"`
	// Signature is the signature gate's verdict on the pinned digest.
	Signature *gate.Verdict `json:"signature,omitempty"`

	recordedRepo bool // unrecorded, but its repository is one the ledger records
}

// Report is the outcome of a pin.
type Report struct {
	report.Refusal `json:"-"` // why it refused, if it did: exit 1, never an error
	Command        string     `json:"-"`
	Summary        string     `json:"-"`
	Kind           string     `json:"kind"` // compose, kustomize or list
	Verify         bool       `json:"verify"`
	Ledger         string     `json:"ledger"` // where the ledger came from
	// LedgerSource is what the ledger was read from: sealed, asset, notes
	// only, file.
	LedgerSource string `json:"ledgerSource"`
	// Sealed is true when the ledger is an immutable release's asset.
	Sealed bool `json:"sealed"`
	// Tampered lists how a release's notes and its asset disagree; pin
	// then pins nothing.
	Tampered []string  `json:"tampered"`
	Services []Service `json:"services"`
	// AllowPartial: an override that leaves out a recorded repository's
	// service, or pins nothing, is written (and exit 0).
	allowPartial bool
	Output       string `json:"output"`  // what is written
	Written      string `json:"written"` // the file it went to (--output)
	// Signatures are the signature gate's verdicts on every digest a
	// kustomize list or lock list pins (compose rows carry their own).
	Signatures []gate.Named `json:"signatures,omitempty"`
	blocked    bool
	// unverified names the pins the gate refused (not with --verify,
	// whose rows say it): nothing is written.
	unverified []string
	unknown    int // pins the gate could not tell of (not with --verify)
	// written are the ledger entries a kustomize list pins: one per
	// repository, the highest version's.
	written []ledger.Image
}

func (r *Report) finish() {
	counts := map[State]int{}
	for i := range r.Services {
		s := &r.Services[i]
		counts[s.State]++
		if r.Verify {
			s.Fix = r.fix(*s)
		}
	}
	switch {
	case r.unknown > 0:
		r.Summary = fmt.Sprintf("INCOMPLETE: the signature gate could not read what is attached to %s: nothing written", report.Plural(r.unknown, "pinned digest"))
	case len(r.unverified) > 0:
		r.blocked = true
		r.Summary = fmt.Sprintf("BLOCKED by the signature gate: %s not verified (%s): nothing written", report.Plural(len(r.unverified), "pinned digest"), gate.Clip(r.unverified, 3))
	case r.Verify && counts[Differs]+counts[Pruned]+counts[NotPinned]+counts[Unverified] > 0:
		// Known to differ: the deploy is due, whatever could not be read.
		r.blocked = true
		var parts []string
		for _, p := range []struct {
			n    int
			what string
		}{{counts[Differs], "pinned elsewhere than " + r.Ledger + " records"}, {counts[Pruned], "pruned"}, {counts[NotPinned], "not pinned (following a tag)"}, {counts[Unverified], "not verified by the signature gate"}} {
			if p.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
			}
		}
		r.Summary = fmt.Sprintf("BLOCKED: of %s, %s", report.Plural(len(r.Services), "service"), strings.Join(parts, ", "))
		if counts[Unknown] > 0 {
			r.Summary += fmt.Sprintf(" (%d could not be checked)", counts[Unknown])
		}
	case r.Verify && counts[Unknown] > 0:
		r.Summary = fmt.Sprintf("INCOMPLETE: %d of %s could not be checked", counts[Unknown], report.Plural(len(r.Services), "service"))
	case r.Verify && counts[OK] == 0:
		r.blocked = true
		r.Summary = fmt.Sprintf("BLOCKED: no service runs an image %s records: nothing to vouch for", r.Ledger)
	case r.Verify:
		r.Summary = fmt.Sprintf("OK: %s pinned at the ledger's digest, each still in its registry", report.Plural(counts[OK], "service"))
		if counts[Other] > 0 {
			r.Summary += fmt.Sprintf(" (%s of images the ledger does not record not judged)", report.Plural(counts[Other], "service"))
		}
	case r.Kind == Compose && !r.allowPartial && counts[Pinned]+counts[Resolved] == 0:
		r.blocked = true
		r.Summary = fmt.Sprintf("BLOCKED: no service was pinned from %s (%d left out): nothing written; --allow-partial writes it anyway", r.Ledger, counts[Unrecorded])
	case r.Kind == Compose && !r.allowPartial && r.leftOutRecorded() > 0:
		r.blocked = true
		r.Summary = fmt.Sprintf("BLOCKED: %s running a repository %s records would not be pinned: nothing written; pin their tags, or --allow-partial", report.Plural(r.leftOutRecorded(), "service"), r.Ledger)
	case r.Kind == Compose:
		r.Summary = fmt.Sprintf("OK: %s pinned from %s (%d resolved, %d left out)", report.Plural(counts[Pinned]+counts[Resolved], "service"), r.Ledger, counts[Resolved], counts[Unrecorded])
	default:
		what := map[string]string{Kustomize: "a kustomize images list", List: "a lock list"}[r.Kind]
		r.Summary = fmt.Sprintf("OK: %s written from %s", cmpOr(what, "a "+r.Kind), r.Ledger)
	}
}

// fix is the next step for a row of --verify that blocks a deploy.
func (r *Report) fix(s Service) string {
	from := r.Ledger
	switch {
	case strings.HasPrefix(from, "ledger file "):
		from = "--from-ledger " + strings.TrimPrefix(from, "ledger file ")
	case strings.HasPrefix(from, "release "):
		from = "--from-release " + strings.TrimPrefix(from, "release ")
	default:
		from = "(the same ledgers)"
	}
	switch s.State {
	case NotPinned:
		return fmt.Sprintf("write the override (tagguard pin %s --compose %s > compose.pinned.yml) and deploy with both files (docker compose -f %s -f compose.pinned.yml up -d)", from, s.File, s.File)
	case Differs:
		if s.Recorded != "" {
			return fmt.Sprintf("the release pins %s: write the override again (tagguard pin %s --compose ...), or, if this pin is the newer release's, verify against that release's ledger", s.Recorded, from)
		}
		return fmt.Sprintf("pin the service from the ledger (tagguard pin %s --compose ...), or verify against the ledger that records this digest", from)
	case Unverified:
		return "sign the release's digest (cosign sign), or verify with the key or identity that signed it; do not deploy what no trusted signature covers"
	case Pruned:
		return "the digest is gone and cannot be pulled: deploy a release whose digest still exists (audit names which), or rebuild, record and pin again"
	}
	return ""
}

// leftOutRecorded counts the services that run a repository the ledger
// records, at a tag it does not: left out, they run what the tag says.
func (r *Report) leftOutRecorded() int {
	n := 0
	for _, s := range r.Services {
		if s.State == Unrecorded && s.recordedRepo {
			n++
		}
	}
	return n
}

// Headline is the summary line.
func (r *Report) Headline() string { return r.Summary }

// SetHeadline replaces the summary line (report.Agree).
func (r *Report) SetHeadline(s string) { r.Summary = s }

// Blocking reports a --verify that found a pin other than the ledger's,
// or a pruned one: the deploy must not go ahead.
func (r *Report) Blocking() bool { return r.blocked }

// WriteText writes what pin makes: the override, kustomize list or lock
// list itself (or where it was written), or, with --verify, the check.
func (r *Report) WriteText(w io.Writer) error {
	if !r.Verify {
		if r.Written != "" {
			_, err := fmt.Fprintf(w, "tagguard pin: %s; wrote %s\n", r.Summary, r.Written)
			return err
		}
		_, err := io.WriteString(w, r.Output)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tagguard pin --verify: %s\n", r.Summary)
	if d := load.Describe(load.Evidence(r.LedgerSource)); d != "" {
		fmt.Fprintf(&b, "from %s%s\n", r.Ledger, d)
	}
	b.WriteString("\n")
	for _, s := range r.Services {
		fmt.Fprintf(&b, "%-10s %s (%s)\n           %s\n", strings.ToUpper(string(s.State)), s.Service, s.File, s.Image)
		if s.Reason != "" {
			fmt.Fprintf(&b, "           %s\n", s.Reason)
		}
		if s.Signature != nil && s.Signature.Passed() {
			fmt.Fprintf(&b, "           signature: %s\n", s.Signature)
		}
		if s.Fix != "" {
			fmt.Fprintf(&b, "           fix: %s\n", s.Fix)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Show is what the action shows: a row per service, an error annotation
// per pin that differs or was pruned, and the pins output.
func (r *Report) Show() report.Shown {
	s := load.Shown(r.Ledger, r.LedgerSource, r.Tampered)
	s.Title = r.Summary
	t := report.Table{Columns: []report.Column{{Name: "state", Kind: report.Verdict}, {Name: "service"}, {Name: "image", Kind: report.Code}, {Name: "pinned", Kind: report.Code}, {Name: "detail"}}}
	for _, svc := range r.Services {
		lvl := report.Good
		switch svc.State {
		case Differs, Pruned, Unverified:
			lvl = report.Bad
			s.Annotations = append(s.Annotations, report.Annotation{Level: report.Bad, Title: "tagguard: " + svc.Service + " " + string(svc.State), Message: svc.Service + ": " + svc.Reason})
		case NotPinned:
			lvl = report.Bad
			s.Annotations = append(s.Annotations, report.Annotation{Level: report.Bad, Title: "tagguard: " + svc.Service + " not pinned", Message: svc.Service + ": " + svc.Reason})
		case Unrecorded, Unknown, Other:
			lvl = report.Warning
		}
		t.Rows = append(t.Rows, report.Row{Level: lvl, Cells: []string{string(svc.State), svc.Service, svc.Image, svc.Pinned, svc.Reason}})
	}
	s.Tables = []report.Table{t}
	gate.Show(&s, r.Signatures)
	s.Outputs = []report.Output{{Name: "pins", Value: r.Output}}
	if r.Verify {
		// The gate's answer, for a workflow's if: (exit 1 sets it too).
		s.Outputs = append(s.Outputs, report.Output{Name: "blocked", Value: fmt.Sprint(r.blocked)})
	}
	s.Next = r.next()
	return s
}

func mustVersion(s string) *semver.Version {
	v, _ := policy.ParseVersion(s)
	return v
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// next is the step after this pin, in the workflow's terms.
func (r *Report) next() string {
	switch {
	case len(r.unverified) > 0:
		return "do not deploy what no trusted signature covers: sign the release's digests, or pin from a release whose digests verify"
	case r.Verify && r.blocked:
		return "do not deploy yet: write the override again from the ledger and deploy with it (each row's fix says how)"
	case r.Verify && strings.HasPrefix(r.Summary, "OK"):
		return "deploy with the override: docker compose -f compose.yml -f compose.pinned.yml up -d"
	case r.Verify:
		// Not every pin could be checked: no word on whether to deploy.
		return "do not deploy on this result: run the check again once the registry answers (each row says what could not be read)"
	case r.blocked:
		return "pin the services the rows name, or --allow-partial to write the override without them"
	}
	return ""
}
