package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/report"
)

// State is where a recorded tag is now.
type State string

// The states.
const (
	OK           State = "ok"           // at the recorded digest
	Drifted      State = "drifted"      // at another digest
	Missing      State = "missing"      // the tag is gone
	Unknown      State = "unknown"      // could not be read
	Inconsistent State = "inconsistent" // one ledger recorded its mirrors at different digests
	Unsigned     State = "unsigned"     // at its digest, but what was attached when it was recorded is gone
	Unconfirmed  State = "unconfirmed"  // a floating tag at a newer version no record read confirms (partial evidence)
	Unverified   State = "unverified"   // at its digest, but no signature over it verifies now (the signature gate)
)

// Report is the outcome of an audit.
type Report struct {
	report.Refusal `json:"-"` // why it refused, if it did: exit 1, never an error
	Command        string     `json:"-"` // the envelope names it
	Summary        string     `json:"-"` // the envelope carries it
	Ledgers        int        `json:"ledgers"`
	// Problems are releases whose ledger section could not be read: the
	// audit is incomplete while there are any.
	Problems []load.Problem `json:"problems"`
	// Flags are ledgers whose own date cannot be believed: read, but
	// never allowed to outrank another record.
	Flags []load.Problem `json:"flags"`
	Refs  []Ref          `json:"refs"`
	// Tampered are releases whose notes and ledger asset disagree: the
	// asset's record is the one audited, and the release is drift (exit
	// 1) until a person has looked.
	Tampered []Tampered `json:"tampered"`
	// Evidence counts the ledgers read by what they were read from:
	// sealed, asset, notes only, file.
	Evidence map[string]int `json:"evidence"`
	// Drift is a ledger of the restorable refs that are not ok, at their
	// recorded digests: tagguard restore --from-ledger puts them back.
	Drift *ledger.Ledger `json:"drift"`
	// DriftFile is where the drift ledger was written (--drift-file).
	DriftFile string  `json:"driftFile"`
	Outputs   Outputs `json:"-"` // the envelope carries them, as JSON values
	blocked   bool
	loadErr   error // the ledgers could not all be loaded
}

// Tampered is a release whose notes say other than its ledger asset.
type Tampered struct {
	From        string   `json:"from"`
	Evidence    string   `json:"ledgerSource"`
	Differences []string `json:"differences"`
}

// evidenceLine counts the ledgers by what they were read from, strongest
// first: "2 sealed, 1 notes only".
func evidenceLine(e map[string]int) string {
	if len(e) == 0 || (len(e) == 1 && e[string(load.File)] > 0) {
		return "" // ledger files only: no release to say it of
	}
	var parts []string
	for _, k := range []load.Evidence{load.Sealed, load.AssetOnly, load.NotesOnly, load.File} {
		if n := e[string(k)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	return strings.Join(parts, ", ")
}

// Ref is one recorded ref and where it is now.
type Ref struct {
	Ref        string `json:"ref"`
	Recorded   string `json:"recorded"`
	Now        string `json:"now,omitempty"`
	State      State  `json:"state"`
	Restorable *bool  `json:"restorable,omitempty"` // only for a ref not ok, when known
	// Attached is what is attached to the recorded digest now, read where
	// the ledger recorded something attached (--referrers).
	Attached *ledger.Attached `json:"attached,omitempty"`
	Reason   string           `json:"reason,omitempty"`
	// Signature is the signature gate's verdict on the recorded digest.
	Signature *gate.Verdict `json:"signature,omitempty"`
	From      string        `json:"from"`    // the ledger of the newest record
	Created   time.Time     `json:"created"` // when it was recorded
	err       error
}

// Outputs are the action outputs of audit.
type Outputs struct {
	Drift string `json:"drift"` // the drift ledger's JSON
}

func (r *Report) finish(now time.Time) {
	counts := map[State]int{}
	unrestorable := 0
	r.Drift = &ledger.Ledger{Schema: ledger.Schema, Created: now.UTC().Truncate(time.Second)}
	for _, ref := range r.Refs {
		counts[ref.State]++
		if ref.Restorable != nil && !*ref.Restorable {
			unrestorable++
		}
		if ref.Restorable != nil && *ref.Restorable {
			r.Drift.Images = append(r.Drift.Images, ledger.Image{Ref: ref.Ref, Digest: ref.Recorded, RecordedIn: report.Clip(ref.From, 1000)})
		}
	}
	if b, err := r.Drift.Marshal(); err == nil {
		r.Outputs.Drift = strings.TrimSpace(string(b))
	}
	r.blocked = counts[Drifted]+counts[Missing]+counts[Inconsistent]+counts[Unsigned]+counts[Unverified]+counts[Unconfirmed]+unrestorable+len(r.Tampered) > 0
	var parts []string
	for _, s := range []State{OK, Drifted, Missing, Inconsistent, Unsigned, Unverified, Unconfirmed, Unknown} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	if unrestorable > 0 {
		// Of the refs counted above, not beside them: the counts add up.
		parts[len(parts)-1] += fmt.Sprintf(" (%d of the refs not ok unrestorable)", unrestorable)
	}
	if len(r.Tampered) > 0 {
		parts = append(parts, report.Plural(len(r.Tampered), "tampered release"))
	}
	what := fmt.Sprintf("%s from %s", report.Plural(len(r.Refs), "recorded ref"), report.Plural(r.Ledgers, "ledger"))
	switch {
	case r.loadErr != nil:
		r.Summary = "INCOMPLETE: the ledgers could not all be read (" + report.OneLine(r.loadErr.Error()) + "); " + what + " so far"
		if len(parts) > 0 {
			r.Summary += ": " + strings.Join(parts, ", ")
		}
	case len(r.Problems) > 0:
		r.Summary = "INCOMPLETE: " + report.Plural(len(r.Problems), "release") + " with a ledger section that cannot be read; " + what
		if len(parts) > 0 {
			r.Summary += ": " + strings.Join(parts, ", ")
		}
	case counts[Unknown] > 0 || r.unread():
		r.Summary = "INCOMPLETE: " + what + ": " + strings.Join(parts, ", ") + "; some could not be read"
	case r.blocked && counts[Drifted]+counts[Missing]+counts[Inconsistent]+counts[Unsigned]+counts[Unverified]+counts[Unconfirmed]+unrestorable == 0:
		r.Summary = "TAMPERED: " + what + ": " + strings.Join(parts, ", ")
	case r.blocked:
		r.Summary = "DRIFT: " + what + ": " + strings.Join(parts, ", ")
	case len(r.Refs) == 0:
		r.Summary = "OK: no recorded ref to audit (" + report.Plural(r.Ledgers, "ledger") + ")"
	default:
		r.Summary = "OK: " + what + ", every tag where its newest record says"
	}
}

// unread reports a restorability that could not be told.
func (r *Report) unread() bool {
	for _, ref := range r.Refs {
		if ref.err != nil {
			return true
		}
	}
	return false
}

// err: a registry that could not be read is exit 3 (the report still says
// what drifted).
func (r *Report) err() error {
	var n int
	for _, ref := range r.Refs {
		if ref.err != nil {
			n++
		}
	}
	switch {
	case n > 0:
		return errkind.Remotef("audit incomplete: %d of %s could not be read; the report names each", n, report.Plural(len(r.Refs), "ref"))
	case len(r.Problems) > 0:
		// Anyone who can edit release notes could otherwise take a
		// release out of the audit by breaking its section.
		var from []string
		for _, p := range r.Problems {
			from = append(from, p.From)
		}
		return errkind.Remotef("audit incomplete: the ledger section of %s cannot be read: fix or re-record it (tagguard record --release-tag …)", strings.Join(from, ", "))
	}
	return nil
}

// Headline is the summary line.
func (r *Report) Headline() string { return r.Summary }

// SetHeadline replaces the summary line (report.Agree).
func (r *Report) SetHeadline(s string) { r.Summary = s }

// Blocking reports drift: a tag drifted, missing, unrestorable or
// inconsistent.
func (r *Report) Blocking() bool { return r.blocked }
