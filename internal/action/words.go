package action

import (
	"regexp"
	"slices"
	"strings"

	"github.com/tagguard/tagguard/internal/options"
)

// flagWords finds a flag of the option table in a message, with the value
// that follows it (after = or a space), and a suggested command line.
var (
	flagWords    = regexp.MustCompile(`--([a-z][a-z-]*[a-z])(=|:|\b)`)
	commandWords = regexp.MustCompile(`\btagguard (` + strings.Join(options.Commands, "|") + `) `)
)

// Say is the one place that decides how a message names options in action
// mode: the commands write flags (--digest), the step's user writes inputs
// (digest:), so each known flag becomes its input and a suggested
// "tagguard restore …" becomes "mode: restore, …". Text that names no
// option is unchanged; the CLI never calls it.
func Say(msg string) string {
	msg = commandWords.ReplaceAllString(msg, "mode: $1, ")
	return flagWords.ReplaceAllStringFunc(msg, func(m string) string {
		sub := flagWords.FindStringSubmatch(m)
		if !isOption(sub[1]) {
			return m
		}
		if sub[2] == ":" { // "tagguard pin --verify: OK" reads "verify: OK", not "verify::"
			return sub[1] + ":"
		}
		return sub[1] + ":" + strings.Replace(sub[2], "=", " ", 1)
	})
}

func isOption(name string) bool {
	return slices.ContainsFunc(options.Table(), func(o options.Option) bool { return o.Name == name })
}
