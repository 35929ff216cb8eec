package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/tagguard/tagguard/internal/options"
)

// value is one option of the table as a pflag.Value.
type value struct {
	opt  options.Option
	vals *options.Values
}

func (v value) String() string {
	if v.vals == nil {
		return ""
	}
	return v.vals.String(v.opt.Name)
}

func (v value) Set(s string) error {
	if v.opt.Type == options.List {
		v.vals.Append(v.opt.Name, s)
	} else {
		v.vals.Set(v.opt.Name, s)
	}
	return nil
}

// Type names the argument in --help: "list", "string", "duration", "n".
func (v value) Type() string {
	switch v.opt.Type {
	case options.Bool:
		return "bool"
	case options.Int:
		return "n"
	case options.Duration:
		return "duration"
	case options.List:
		return "list"
	}
	return "string"
}

func addFlag(fs *pflag.FlagSet, o options.Option, command string, vals *options.Values) {
	usage := o.UsageFor(command)
	if len(o.Env) > 0 {
		usage += " (env " + strings.Join(o.Env, ", ") + ")"
	}
	f := fs.VarPF(value{opt: o, vals: vals}, o.Name, o.Short, usage)
	f.DefValue = o.Default
	if o.Type == options.Bool {
		f.NoOptDefVal = "true"
	}
}

// flagError makes a flag error GNU-style with a suggestion: an unknown
// --flag names the closest one the command has.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if s := closest(name, cmd); s != "" {
			msg += "; did you mean --" + s + "?"
		}
	}
	return fmt.Errorf("%s: %s (see '%s --help')", cmd.CommandPath(), msg, cmd.CommandPath())
}

// closest is the flag of cmd nearest to name, if near enough.
func closest(name string, cmd *cobra.Command) string {
	best, dist := "", 3
	visit := func(f *pflag.Flag) {
		if d := levenshtein(name, f.Name); d < dist || (d <= dist && strings.HasPrefix(f.Name, name) && best == "") {
			best, dist = f.Name, d
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// isTerminal reports whether w is a terminal: the live progress bar.
