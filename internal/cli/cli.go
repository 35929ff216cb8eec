// Package cli is tagguard's command line: it turns arguments into the options
// of a command, runs it, writes the report and maps the outcome to an exit
// code. It holds no guard logic of its own.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/tagguard/tagguard/internal/demo"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/registry"
)

const usage = `tagguard: release guards for container image tags.

Usage:
  tagguard check   [flags]   guard a publish (read-only)
  tagguard record  [flags]   record pushed digests: outputs, ledger file, release notes
  tagguard restore [flags]   re-point tags at recorded digests (registry API calls only)
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
		return runAction(ctx, stdout, stderr, getenv)
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
		return runAction(ctx, stdout, stderr, getenv)
	case "version", "--version":
		fmt.Fprintf(stdout, "tagguard %s\n", Version())
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
	case options.Check, options.Record, options.Restore:
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
	fmt.Fprintf(stderr, "tagguard: unknown command %q\n\n%s", cmd, usage)
	return int(errkind.BadInput)
}

// report is what every command hands back for printing.
type report interface {
	WriteText(io.Writer) error
}

// outcome is a finished command: its report (nil when it stopped before
// making one), whether a guard blocked, and the error that decides the exit.
type outcome struct {
	cmd     string
	report  report
	blocked bool
	err     error
}

// exitCode maps an outcome to the process exit code.
func (o outcome) exitCode() int {
	if o.err != nil {
		return errkind.ExitCode(o.err)
	}
	if o.blocked {
		return int(errkind.Blocked)
	}
	return 0
}

// secretsOf returns the secret values among the options, for masking.
func secretsOf(vals *options.Values) []string {
	secrets := []string{vals.String("github-token")}
	if creds, err := registry.ParseCredentials(vals.List("registry-auth")); err == nil {
		secrets = append(secrets, registry.Secrets(creds)...)
	}
	return secrets
}

// run executes a command for the CLI: report on stdout, error on stderr.
func run(ctx context.Context, cmd string, vals *options.Values, stdout, stderr io.Writer, getenv func(string) string) int {
	applyEnv(vals, options.For(cmd), getenv)
	secrets := secretsOf(vals)
	stdout, stderr = newSafeWriter(stdout, secrets), newSafeWriter(stderr, secrets)
	out := execute(ctx, cmd, vals, getenv, "")
	if out.report != nil {
		if err := writeReport(stdout, vals.String("format"), out.report); err != nil && out.err == nil {
			out.err = err
		}
	}
	if out.err != nil {
		fmt.Fprintf(stderr, "tagguard %s: %v\n", cmd, out.err)
	}
	return out.exitCode()
}

// execute runs a command from its option values: the one path shared by the
// CLI and the action adapter. imagesFrom says where the image list came
// from when it was not given as an option, for the report.
func execute(ctx context.Context, cmd string, vals *options.Values, getenv func(string) string, imagesFrom string) outcome {
	out := outcome{cmd: cmd}
	creds, err := registry.ParseCredentials(vals.List("registry-auth"))
	if err != nil {
		out.err = errkind.BadInputf("--registry-auth: %v", err)
		return out
	}
	if format := vals.String("format"); format != "text" && format != "json" {
		out.err = errkind.BadInputf("--format %q: use text or json", format)
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, vals.Duration("timeout"))
	defer cancel()
	reg, err := registry.New(registry.Config{
		Jobs:        vals.Int("jobs"),
		Insecure:    vals.List("insecure-registry"),
		Credentials: creds,
		GitHubToken: vals.String("github-token"),
		GitHubActor: getenv("GITHUB_ACTOR"),
		GitHubOwner: getenv("GITHUB_REPOSITORY_OWNER"),
		UserAgent:   "tagguard/" + Version(),
	})
	if err != nil {
		out.err = err
		return out
	}
	env, err := newRunEnv(vals, getenv)
	if err != nil {
		out.err = err
		return out
	}
	env.imagesFrom = imagesFrom
	switch cmd {
	case options.Check:
		r, err := runCheck(ctx, vals, reg, env)
		out.err = err
		if r != nil {
			out.report, out.blocked = r, r.Blocked
		}
	case options.Record:
		r, err := runRecord(ctx, vals, reg, env)
		out.err = err
		if r != nil {
			out.report, out.blocked = r, r.Blocked
		}
	case options.Restore:
		r, err := runRestore(ctx, vals, reg, env)
		out.err = err
		if r != nil {
			out.report = r
		}
	}
	if out.err != nil && ctx.Err() == context.DeadlineExceeded {
		out.err = fmt.Errorf("%w (the run exceeded --timeout %s)", out.err, vals.Duration("timeout"))
	}
	return out
}

// applyEnv fills options from their environment variables when not given.
func applyEnv(vals *options.Values, opts []options.Option, getenv func(string) string) {
	for _, o := range opts {
		if vals.IsSet(o.Name) {
			continue
		}
		for _, e := range o.Env {
			if v := getenv(e); v != "" {
				vals.Set(o.Name, v)
				break
			}
		}
	}
}

func writeReport(w io.Writer, format string, rep report) error {
	if format == "json" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding report: %w", err)
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	return rep.WriteText(w)
}

// version is stamped by the release build (-ldflags -X …/internal/cli.version=1.2.3):
// the image is built without .git, so the module version is not known to Go.
// It is the one variable the linker writes; nothing else sets it.
var version string

// Version is the version tagguard was built as, or "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// runEnv is what every command reads from around it: the GitHub run
// context and, when a token was given, a GitHub client.
type runEnv struct {
	event      event.Context
	github     *githubapi.Client // nil without a token
	imagesFrom string            // where the images came from, when not from the option
}

func newRunEnv(vals *options.Values, getenv func(string) string) (runEnv, error) {
	ev, err := event.Load(getenv)
	if err != nil {
		return runEnv{}, errkind.New(errkind.BadInput, err)
	}
	env := runEnv{event: ev}
	if token := vals.String("github-token"); token != "" {
		env.github, err = githubapi.New(githubapi.Config{Token: token, BaseURL: getenv("GITHUB_API_URL"), UserAgent: "tagguard/" + Version()})
	}
	return env, err
}
