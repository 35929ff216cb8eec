package action

import (
	"regexp"
	"slices"
	"strings"

	"github.com/tagguard/tagguard/internal/options"
)

var (
	// commandRE finds a suggested command line: "tagguard CMD" and the
	// flags (with their values) that follow it.
	commandRE = regexp.MustCompile(`\btagguard (` + strings.Join(options.Commands, "|") + `)((?: +--[a-z][a-z-]*[a-z](?:=(?:'[^']*'|"[^"]*"|[^\s;,)]+)| +(?:'[^']*'|"[^"]*"|[^-\s;,)][^\s;,)]*))?)*)(:?)`)
	// flagRE finds one flag in a command's arguments, and its value.
	flagRE = regexp.MustCompile(`--([a-z][a-z-]*[a-z])(?:=('[^']*'|"[^"]*"|[^\s;,)]+)| +('[^']*'|"[^"]*"|[^-\s;,)][^\s;,)]*))?`)
	// proseFlagRE finds a flag named in prose: "pass --digest", "(--base)".
	// A value after it is one that looks like a value (sha256:…, a path,
	// a version), never the next word of the sentence.
	proseFlagRE = regexp.MustCompile(`--([a-z][a-z-]*[a-z])(=[^\s;,)]+| +[^\s;,)]*[:/@.0-9][^\s;,)]*)?\b:?`)
)

// Say is the one place that decides how a message names options in action
// mode: the commands write flags (--digest), the step's user writes inputs
// (digest:). A suggested command ("tagguard restore --from-ledger
// drift.json --dry-run") becomes the inputs of a step ("mode: restore,
// from-ledger: drift.json, dry-run: true"); a flag named in prose ("pass
// --digest with ...") becomes its input ("pass the digest input with
// ..."). Text that names no option is unchanged; the CLI never calls it.
func Say(msg string) string {
	msg = commandRE.ReplaceAllStringFunc(msg, func(m string) string {
		sub := commandRE.FindStringSubmatch(m)
		parts := []string{"mode: " + sub[1]}
		for _, f := range flagRE.FindAllStringSubmatch(sub[2], -1) {
			o, ok := option(f[1])
			if !ok {
				return m // not ours to reword
			}
			value := f[2] + f[3]
			switch {
			case o.Type == options.Bool && f[2] == "":
				parts = append(parts, f[1]+": true")
				if f[3] != "" {
					// a bool takes no separate value: the word was prose
					return strings.Join(parts, ", ") + " " + f[3]
				}
			case value == "":
				parts = append(parts, f[1]+":")
			default:
				parts = append(parts, f[1]+": "+value)
			}
		}
		if sub[3] == ":" { // a report's label: "tagguard pin --verify: OK"
			return strings.Join(parts, ", ") + " —"
		}
		return strings.Join(parts, ", ")
	})
	return proseFlagRE.ReplaceAllStringFunc(msg, func(m string) string {
		sub := proseFlagRE.FindStringSubmatch(m)
		if _, ok := option(sub[1]); !ok {
			return m
		}
		if sub[2] != "" {
			return sub[1] + ": " + strings.TrimLeft(strings.TrimPrefix(sub[2], "="), " ")
		}
		if strings.HasSuffix(m, ":") { // "tagguard pin --verify: OK" reads "verify: OK"
			return sub[1] + ":"
		}
		return "the " + sub[1] + " input"
	})
}

func option(name string) (options.Option, bool) {
	i := slices.IndexFunc(options.Table(), func(o options.Option) bool { return o.Name == name })
	if i < 0 {
		return options.Option{}, false
	}
	return options.Table()[i], true
}
