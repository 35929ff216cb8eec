// Package cli is tagguard's command line, on spf13/cobra and pflag as
// crane, regctl and gh are: the root command builds every command's flags
// from the option table (help, GNU --flag errors with a suggestion, shell
// completion, common flags before or after the command), fills the option
// values, hands them to app.Run, and writes the report and the error. The
// action adapter is internal/action; neither holds guard logic of its own.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tagguard/tagguard/internal/action"
	"github.com/tagguard/tagguard/internal/app"
	"github.com/tagguard/tagguard/internal/demo"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/redact"
	"github.com/tagguard/tagguard/internal/report"
)

// Main runs tagguard with args (without the program name) and returns the
// exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return start(ctx, args, stdout, stderr, getenv, nil)
}

// MainOS is Main on the process's own environment, where a variable set
// to "" can be told from an unset one (compose's ${VAR-default} in pin).
func MainOS(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return start(ctx, args, stdout, stderr, os.Getenv, os.LookupEnv)
}

func start(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, lookup func(string) (string, bool)) int {
	if len(args) == 0 && getenv("GITHUB_ACTIONS") == "true" {
		// The action image's entrypoint is the bare binary.
		return action.RunEnv(ctx, stdout, stderr, getenv, lookup)
	}
	code := 0
	root := newRoot(ctx, stdout, stderr, getenv, lookup, &code)
	if len(args) == 0 {
		root.SetOut(stderr)
		_ = root.Usage()
		return int(errkind.BadInput)
	}
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "tagguard") {
			msg = "tagguard: " + msg
		}
		if wantsJSON(args) {
			// A usage error is a run too: jq .verdict reads bad-input.
			_ = report.WriteFailure(stdout, commandOf(args), int(errkind.BadInput), errors.New(strings.TrimPrefix(msg, "tagguard: ")))
		}
		fmt.Fprintln(stderr, strings.TrimRight(msg, "\n"))
		return int(errkind.BadInput)
	}
	return code
}

// wantsJSON: the arguments ask for --format json, read as a usage error
// leaves them (pflag stopped before it parsed them all).
func wantsJSON(args []string) bool {
	for i, a := range args {
		if a == "--format=json" || (a == "--format" && i+1 < len(args) && args[i+1] == "json") {
			return true
		}
	}
	return false
}

// commandOf is the command the arguments name, "" when none does.
func commandOf(args []string) string {
	for _, a := range args {
		if slices.Contains(options.Commands, a) || a == "version" || a == "demo" {
			return a
		}
	}
	return ""
}

// newRoot builds the command tree. Every option of the table is a flag:
// the common ones persistent on the root (before or after the command),
// the others on the commands that take them. One set of values backs them
// all; each command validates its own.
func newRoot(ctx context.Context, stdout, stderr io.Writer, getenv func(string) string, lookup func(string) (string, bool), code *int) *cobra.Command {
	vals := options.NewValues(options.Table())
	root := &cobra.Command{
		Use:   "tagguard",
		Short: "Release guards for container image tags",
		Long: `tagguard: release guards for container image tags. It blocks publishes to
version tags that already exist, writes the tags of push-by-digest builds
itself (promote), records pushed digests, restores tags to recorded
digests with registry API calls alone, and finds moved or pruned tags the
same day (audit).`,
		Version:       app.Version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("{{.Name}} " + versionLine() + "\n")
	root.SetFlagErrorFunc(flagError)
	for _, o := range options.Table() {
		if o.Commands == nil {
			addFlag(root.PersistentFlags(), o, "", vals)
		}
	}
	for _, name := range options.Commands {
		root.AddCommand(newCommand(name, vals, stdout, stderr, getenv, lookup, code))
	}
	root.AddCommand(&cobra.Command{
		Use:   "demo",
		Short: "The whole story against an in-process registry: no network, no Docker",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := demo.Run(cmd.Context(), stdout); err != nil {
				fmt.Fprintf(stderr, "tagguard demo: %v\n", err)
				*code = errkind.ExitCode(err)
			}
			return nil
		},
	}, &cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit and the Go version",
		Args:  noArgs,
		Run: func(*cobra.Command, []string) {
			if vals.String(options.Format) == "json" {
				b, _ := json.Marshal(map[string]string{"version": app.Version(), "commit": app.Commit(), "go": runtime.Version()})
				fmt.Fprintf(stdout, "%s\n", b)
				return
			}
			fmt.Fprintf(stdout, "tagguard %s\n", versionLine())
		},
	}, &cobra.Command{
		Use:   "action",
		Short: "Run as a GitHub Actions step (inputs from INPUT_*; the default in Actions)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if getenv("GITHUB_ACTIONS") != "true" {
				// Outside a runner, workflow commands (::error::) are
				// noise on a terminal and outputs have nowhere to go.
				return errors.New("action: runs as a GitHub Actions step (GITHUB_ACTIONS=true, inputs in INPUT_*); on a terminal, run the command itself (tagguard check --help)")
			}
			*code = action.RunEnv(cmd.Context(), stdout, stderr, getenv, lookup)
			return nil
		},
	})
	// Usage errors exit 2, help and completion included: cobra's own help
	// command prints "Unknown help topic" and exits 0, and its completion
	// command, having no run of its own, prints its help for any argument.
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil {
				return fmt.Errorf("help: %w", err)
			}
			if len(rest) > 0 {
				return fmt.Errorf("help: %s has no subcommand %q", cmd.CommandPath(), rest[0])
			}
			cmd.InitDefaultHelpFlag()
			cmd.InitDefaultVersionFlag()
			return cmd.Help()
		},
	})
	// --format's values complete, in each command's own terms.
	_ = root.RegisterFlagCompletionFunc(options.Format, func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		if cmd.Name() == options.PinCmd {
			return []string{"compose", "kustomize", "list", "text", "json"}, cobra.ShellCompDirectiveNoFileComp
		}
		return []string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp
	})
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Args = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return fmt.Errorf("completion: no shell %q: bash, zsh, fish or powershell", args[0])
				}
				return nil
			}
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
	}
	// Every command's -h/--help, declared before cobra would: pflag shows
	// its own bool flags as "--help[=true|false]".
	var help func(c *cobra.Command)
	help = func(c *cobra.Command) {
		if c.Flags().Lookup("help") == nil {
			c.Flags().VarPF(new(helpValue), "help", "h", "help for "+c.Name()).NoOptDefVal = "true"
		}
		for _, sub := range c.Commands() {
			help(sub)
		}
	}
	help(root)
	_ = ctx
	return root
}

// helpValue is -h/--help: a bool as cobra reads it (GetBool), shown as a
// plain switch in every help.
type helpValue bool

func (h *helpValue) String() string { return strconv.FormatBool(bool(*h)) }
func (h *helpValue) Type() string   { return "bool" }
func (h *helpValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	*h = helpValue(b)
	return err
}

// newCommand is one command of the option table: its own flags, its help
// (what is true for it, and exit 1 in its own terms), and its run.
func newCommand(name string, vals *options.Values, stdout, stderr io.Writer, getenv func(string) string, lookup func(string) (string, bool), code *int) *cobra.Command {
	c := &cobra.Command{
		Use:   name + " [flags]",
		Short: shortHelp[name],
		Long:  commandHelp[name] + "\n\n" + errkind.ExitCodesFor(name),
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			*code = run(cmd.Context(), name, vals, stdout, stderr, getenv, lookup, cmd.InOrStdin())
			return nil
		},
	}
	for _, o := range options.For(name) {
		if o.Commands != nil {
			addFlag(c.Flags(), o, name, vals)
		}
	}
	return c
}

// noArgs refuses an argument: every input is a flag.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	hint := ""
	if args[0] == "true" || args[0] == "false" {
		hint = " (a boolean flag takes its value with =, e.g. --require-base=false)"
	}
	return fmt.Errorf("%s: unexpected argument %q%s: every input is a flag (see '%s --help')", cmd.CommandPath(), args[0], hint, cmd.CommandPath())
}

// run executes a command for the CLI: report on stdout, error on stderr,
// both masked.
func run(ctx context.Context, cmd string, vals *options.Values, stdout, stderr io.Writer, getenv func(string) string, lookup func(string) (string, bool), stdin io.Reader) int {
	opts := options.For(cmd)
	invalid := vals.Validate(opts) // the flags as typed, before the environment fills the rest
	app.ApplyEnv(vals, opts, getenv)
	mask := redact.New(nil, app.Secrets(vals, opts, getenv)...)
	tty := isTerminal(stderr)
	stdout, stderr = mask.Writer(stdout), mask.Writer(stderr)
	out := app.Outcome{Command: cmd, Err: errkind.New(errkind.BadInput, invalid)}
	if invalid == nil {
		out = app.Run(ctx, cmd, vals, app.Env{Getenv: getenv, LookupEnv: lookup, Masker: mask, Stderr: stderr, TTY: tty, Stdin: stdin})
	}
	if out.Report != nil {
		if err := report.Write(stdout, vals.String(options.Format), cmd, out.Report, out.ExitCode()); err != nil && out.Err == nil {
			out.Err = err
		}
	}
	if out.Report == nil && out.Err != nil && vals.String(options.Format) == "json" {
		// The envelope on every run, this one too: jq .verdict reads
		// bad-input or failed.
		_ = report.WriteFailure(stdout, cmd, out.ExitCode(), out.Err)
	}
	if said := out.Said(); said != nil {
		fmt.Fprintf(stderr, "tagguard %s: %v\n", cmd, said)
	}
	return out.ExitCode()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
