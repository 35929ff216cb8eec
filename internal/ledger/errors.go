package ledger

import (
	"github.com/tagguard/tagguard/internal/report"

	"fmt"

	"github.com/tagguard/tagguard/internal/errkind"
)

// ValidationError says which part of a ledger or release-notes section is
// wrong and why. Every error from Parse, Extract, Upsert, Validate and
// Marshal that is caused by the input is one of these, so a caller can
// answer "bad input, nothing touched" (errkind.Of reports errkind.BadInput
// for it, wrapped or not).
type ValidationError struct {
	// Field locates the problem: "schema", "images[3].ref",
	// "images[0].platforms[1].digest", "document" (the JSON as a whole),
	// "release notes" (the markers and blocks around the JSON).
	Field string
	// Value is the offending text exactly as it came in. It may be hostile;
	// Error quotes and truncates it.
	Value string
	// Reason says what is wrong and, where it helps, what is expected.
	Reason string
}

// Error renders the field, the quoted value and the reason on one line.
// Value is always quoted: it comes from outside (release notes someone
// edited, a file) and must never put a newline or a "::" workflow command
// at the start of a runner log line.
func (e *ValidationError) Error() string {
	if e.Value == "" {
		return e.Field + ": " + e.Reason
	}
	return e.Field + ": " + quote(e.Value) + " " + e.Reason
}

// As lets errors.As find an *errkind.Error in a ValidationError, so the exit
// code of a bad ledger is "bad input" even where a caller forgets to
// classify it.
func (e *ValidationError) As(target any) bool {
	t, ok := target.(**errkind.Error)
	if !ok {
		return false
	}
	*t = &errkind.Error{Kind: errkind.BadInput, Err: e}
	return true
}

func invalid(field, value, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// maxQuoted bounds how much of a hostile value reaches a log line.
const maxQuoted = 80

// quote returns s as a Go-quoted string, cut to maxQuoted runes. Quoting
// escapes control characters, line and paragraph separators and invalid
// UTF-8, so the result is always a single printable line.
func quote(s string) string {
	return fmt.Sprintf("%q", report.Truncate(s, maxQuoted))
}

// clean makes the message of an error we did not write (encoding/json,
// go-containerregistry) safe to show: those may echo input verbatim.
func clean(err error) string {
	q := fmt.Sprintf("%q", report.Clip(err.Error(), 2*maxQuoted))
	return q[1 : len(q)-1]
}
