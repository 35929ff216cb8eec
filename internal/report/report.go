// Package report holds the small text helpers every command's report uses.
package report

import (
	"fmt"
	"strings"
)

// Plural writes "1 ref", "2 refs".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// OneLine folds text from outside (a registry's error body, say) onto one
// line: a report line must stay one line in text, JSON and a summary cell.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
