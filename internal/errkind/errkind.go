// Package errkind classifies the errors tagguard returns into the few kinds
// that decide its exit code: bad input, a guard that blocked, a remote
// failure, and a partly applied change.
package errkind

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is what went wrong, as far as the exit code is concerned.
type Kind int

// The kinds, in the order of their exit codes.
const (
	OK       Kind = 0 // nothing wrong
	Blocked  Kind = 1 // a guard refused
	BadInput Kind = 2 // bad input or usage; nothing was touched
	Remote   Kind = 3 // a registry or GitHub failure after retries
	Partial  Kind = 4 // a change was partly applied
	// Interrupted is SIGINT or SIGTERM before any write: nothing written.
	Interrupted Kind = 130
)

// Kinds lists every kind in exit-code order.
var Kinds = []Kind{OK, Blocked, BadInput, Remote, Partial, Interrupted}

// Meaning says in a few words what an exit code means: the help text and
// the README's table are both made from it.
func (k Kind) Meaning() string {
	switch k {
	case OK:
		return "ok"
	case Blocked:
		return "blocked by a guard"
	case BadInput:
		return "bad input or usage (nothing touched)"
	case Remote:
		return "registry or GitHub failure after retries"
	case Partial:
		return "partly applied (the report names every tag and its state)"
	case Interrupted:
		return "interrupted before any write (nothing written)"
	}
	return "unknown"
}

// blockedBy says what exit 1 means for each command, in its own terms:
// each refuses in its own way, and a script reading the code should not
// have to guess which.
var blockedBy = map[string]string{
	"check":   "blocked by a guard",
	"promote": "blocked by a guard (the signature gate too), or a source not whole: nothing written",
	"record":  "refused: a tag is not at the expected digest, or the release notes cannot take the ledger",
	"restore": "the pre-flight refused: a target digest is missing (pruned) or not verified by the signature gate, or the release's notes and ledger asset disagree (tampered): nothing written; or a floating tag was held (a newer version no ledger read records)",
	"audit":   "drift: a recorded tag drifted, is missing, unrestorable, inconsistent, unsigned, unverified or unconfirmed, or a release's notes and ledger asset disagree (tampered)",
	"pin":     "a digest to pin is not verified by the signature gate; verify: a pinned digest differs from the ledger's, was pruned or is not verified, a recorded image is not pinned, or no service runs a recorded image; or the release's notes and ledger asset disagree (tampered)",
}

// Commands that never write cannot be partly applied.
var readOnly = map[string]bool{"check": true, "audit": true, "pin": true}

// MeaningFor is Meaning in the terms of one command.
func (k Kind) MeaningFor(command string) string {
	switch {
	case k == Blocked && blockedBy[command] != "":
		return blockedBy[command]
	case k == Remote && command == "audit":
		return "incomplete: a registry, GitHub or a release's ledger section could not be read"
	}
	return k.Meaning()
}

// ExitCodes is the one line of help that lists the exit codes.
func ExitCodes() string { return ExitCodesFor("") }

// ExitCodesFor is the help line of exit codes in command's own terms, from
// the same table; "" is the general line.
func ExitCodesFor(command string) string {
	var parts []string
	for _, k := range Kinds {
		if k == Partial && readOnly[command] {
			continue
		}
		parts = append(parts, fmt.Sprintf("%d %s", int(k), k.MeaningFor(command)))
	}
	return "Exit codes: " + strings.Join(parts, ", ") + "."
}

// Error carries a Kind with the underlying error.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New wraps err as kind k. A nil err stays nil.
func New(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}

// BadInputf reports bad input: exit 2, nothing touched.
func BadInputf(format string, args ...any) error {
	return &Error{Kind: BadInput, Err: fmt.Errorf(format, args...)}
}

// Blockedf reports that a guard refused: exit 1. A command never returns
// one with a report: its refusal is the report's (report.Refusal), and a
// helper's Blockedf travels only as far as the command that puts it
// there. Only a refusal found before there is a report (two ledgers given
// that disagree) reaches the app as an error.
func Blockedf(format string, args ...any) error {
	return &Error{Kind: Blocked, Err: fmt.Errorf(format, args...)}
}

// Remotef reports a registry or GitHub failure: exit 3.
func Remotef(format string, args ...any) error {
	return &Error{Kind: Remote, Err: fmt.Errorf(format, args...)}
}

// Of returns the kind of err. Errors of no declared kind, including a run
// that timed out or was interrupted, count as remote failures: the world
// could not be read or written as asked.
func Of(err error) Kind {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Remote
}

// ExitCode maps err to the process exit code: the one table of exit codes.
func ExitCode(err error) int { return int(Of(err)) }
