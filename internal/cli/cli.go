// Package cli is tagguard's command line: it parses arguments into the
// option values of a command, hands them to app.Run, and writes the report
// and the error. The action adapter is internal/action; neither holds guard
// logic of its own.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/tagguard/tagguard/internal/action"
	"github.com/tagguard/tagguard/internal/app"
	"github.com/tagguard/tagguard/internal/demo"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/redact"
	"github.com/tagguard/tagguard/internal/report"
)

const usage = `tagguard: release guards for container image tags.

Usage:
  tagguard check   [flags]   guard a publish (read-only)
  tagguard promote [flags]   the guarded publish: write the tags of push-by-digest sources, read back, record
  tagguard record  [flags]   record pushed digests: outputs, ledger file, release notes
  tagguard restore [flags]   re-point tags at recorded digests (registry API calls only)
  tagguard audit   [flags]   are the recorded tags still where the ledgers say? (read-only)
  tagguard action            run as a GitHub Action step (inputs from INPUT_*; the default in Actions)
  tagguard demo              the whole story against an in-process registry
  tagguard version           print the version

Run 'tagguard COMMAND --help' for a command's flags.
`

// Main runs tagguard with args (without the program name) and returns the
// exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 && getenv("GITHUB_ACTIONS") == "true" {
		// The action image's entrypoint is the bare binary.
		return action.Run(ctx, stdout, stderr, getenv)
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return int(errkind.BadInput)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "action":
		return action.Run(ctx, stdout, stderr, getenv)
	case "version", "--version":
		fmt.Fprintf(stdout, "tagguard %s\n", app.Version())
		return 0
	case "demo":
		if len(rest) > 0 {
			if rest[0] == "-h" || rest[0] == "--help" {
				fmt.Fprintln(stdout, "Usage: tagguard demo\n\nRuns the whole story against an in-process registry on loopback: no network, no Docker.")
				return 0
			}
			fmt.Fprintf(stderr, "tagguard demo: takes no arguments\n")
			return int(errkind.BadInput)
		}
		if err := demo.Run(ctx, stdout); err != nil {
			fmt.Fprintf(stderr, "tagguard demo: %v\n", err)
			return errkind.ExitCode(err)
		}
		return 0
	}
	if !slices.Contains(options.Commands, cmd) {
		fmt.Fprintf(stderr, "tagguard: unknown command %q\n\n%s", cmd, usage)
		return int(errkind.BadInput)
	}
	vals, err := parseFlags(cmd, rest, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "tagguard %s: %v\n", cmd, err)
		return int(errkind.BadInput)
	}
	return run(ctx, cmd, vals, stdout, stderr, getenv)
}

// run executes a command for the CLI: report on stdout, error on stderr,
// both masked.
func run(ctx context.Context, cmd string, vals *options.Values, stdout, stderr io.Writer, getenv func(string) string) int {
	opts := options.For(cmd)
	app.ApplyEnv(vals, opts, getenv)
	mask := redact.New(nil, app.Secrets(vals, opts, getenv)...)
	stdout, stderr = mask.Writer(stdout), mask.Writer(stderr)
	out := app.Run(ctx, cmd, vals, app.Env{Getenv: getenv, Masker: mask})
	if out.Report != nil {
		if err := report.Write(stdout, vals.String(options.Format), cmd, out.Report, out.ExitCode()); err != nil && out.Err == nil {
			out.Err = err
		}
	}
	if out.Err != nil {
		fmt.Fprintf(stderr, "tagguard %s: %v\n", cmd, out.Err)
	}
	return out.ExitCode()
}
