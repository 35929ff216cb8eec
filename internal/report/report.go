// Package report holds the small text helpers every command's report uses.
package report

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/tagguard/tagguard/internal/redact"
)

// Plural writes "1 ref", "2 refs".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// OneLine cleans text from outside (a registry's error body, say): folded
// onto one line, as a report line must stay one line in text, JSON and a
// summary cell, and with any Authorization value a server echoed stripped.
// It is the one text cleaner; Clip also bounds the length.
func OneLine(s string) string {
	// Control characters (an escape sequence, a carriage return) become
	// spaces too: none may reach a terminal or a log line.
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return redact.StripAuthorization(strings.Join(strings.Fields(s), " "))
}

// Clip is OneLine bounded to n characters, with … where it was cut.
func Clip(s string, n int) string { return Truncate(OneLine(s), n) }

// Truncate bounds s to n characters, with … where it was cut.
func Truncate(s string, n int) string {
	runes := 0
	for i := range s {
		if runes == n {
			return s[:i] + "…"
		}
		runes++
	}
	return s
}
