// Package app is tagguard's composition root: it turns the option table's
// values into a command's typed options, builds the registry and GitHub
// clients once, runs the command's plan, applies it unless --dry-run, and
// maps the outcome to an exit code. The CLI and the action adapter are two
// thin shells around Run; neither holds logic of its own.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/audit"
	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/pin"
	"github.com/tagguard/tagguard/internal/progress"
	"github.com/tagguard/tagguard/internal/promote"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/redact"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
	"github.com/tagguard/tagguard/internal/restore"
)

// Env is what a run reads from around it.
type Env struct {
	Getenv func(string) string
	// LookupEnv tells a variable set to "" from an unset one; nil when
	// only Getenv is known (pin then refuses the forms that differ).
	LookupEnv func(string) (string, bool)
	// ImagesFrom says where the image list came from when it was not given
	// as an option (the action's metadata-action fallback), for the report.
	ImagesFrom string
	// Masker hears of every secret the run meets, tokens obtained from a
	// token service included, before anything can print it. May be nil.
	Masker *redact.Masker
	// Stderr is where --verbose logs and the progress line go, masked;
	// nil writes neither.
	Stderr io.Writer
	// TTY says Stderr is a terminal: a live progress bar, not a line every
	// 10 s.
	TTY bool
	// Stdin is what "-" names as --images-file or --sources-file; nil
	// refuses "-".
	Stdin io.Reader
}

// Outcome is a finished run: its report (nil when it stopped before making
// one) and the error that decides the exit code.
type Outcome struct {
	Command string
	Report  report.Report
	Err     error
}

// ExitCode maps an outcome to the process exit code: the error's kind, else
// 1 when a guard blocked or the command refused (report.Blocks), else 0.
func (o Outcome) ExitCode() int {
	if o.Err != nil {
		return errkind.ExitCode(o.Err)
	}
	if o.Report != nil && report.Blocks(o.Report) {
		return int(errkind.Blocked)
	}
	return 0
}

// Said is what the adapters print where an error goes (the CLI's stderr
// line, the action's error annotation): the error, else the report's
// refusal as exit 1; nil when the run neither failed nor refused. A
// guard's block is in the report alone.
func (o Outcome) Said() error {
	if o.Err != nil {
		return o.Err
	}
	if o.Report != nil && o.Report.Refused() != "" {
		return errkind.New(errkind.Blocked, errors.New(o.Report.Refused()))
	}
	return nil
}

// deps are the collaborators every command is built from.
type deps struct {
	vals     *options.Values
	env      Env
	registry *registry.Client
	gate     *gate.Gate        // nil when no key or identity is given
	github   *githubapi.Client // nil without a token
	event    event.Context
}

// commandFunc runs one command through the one contract (report.Run): its
// typed options filled from the option values, then NewPlan (which
// validates, with no I/O, and checks where output files would go, before
// any request: bad input is no plan), and Apply unless the plan failed,
// blocked or refused, or dryRun.
type commandFunc func(ctx context.Context, d deps, dryRun bool) (report.Report, error)

var commands = map[string]commandFunc{
	options.Audit: func(ctx context.Context, d deps, dry bool) (report.Report, error) {
		return run(ctx, audit.NewPlan, auditOptions(d), dry)
	},
	options.Check: func(ctx context.Context, d deps, dry bool) (report.Report, error) {
		return run(ctx, check.NewPlan, checkOptions(d), dry)
	},
	options.PinCmd: func(ctx context.Context, d deps, dry bool) (report.Report, error) {
		return run(ctx, pin.NewPlan, pinOptions(d), dry)
	},
	options.Promote: func(ctx context.Context, d deps, dry bool) (report.Report, error) {
		return run(ctx, promote.NewPlan, promoteOptions(d), dry)
	},
	options.Record: func(ctx context.Context, d deps, dry bool) (report.Report, error) {
		return run(ctx, record.NewPlan, recordOptions(d), dry)
	},
	options.Restore: func(ctx context.Context, d deps, dry bool) (report.Report, error) {
		return run(ctx, restore.NewPlan, restoreOptions(d), dry)
	},
}

// run is the contract: report.Run (NewPlan, which validates once before
// any I/O, and Apply unless refused or dryRun), with the report as the
// interface the adapters print: no plan (bad input) is no report, never a
// typed nil.
func run[O any, R report.Report, P interface {
	comparable
	report.Plan[R]
}](ctx context.Context, newPlan func(context.Context, O) (P, error), o O, dryRun bool) (report.Report, error) {
	r, err := report.Run(ctx, newPlan, o, dryRun)
	var none R
	if any(r) == any(none) {
		return nil, err
	}
	return r, err
}

// Secrets returns every secret among the option values, in every encoding
// a runner could see, for masking. The option table's Secret flag alone
// decides what is secret.
func Secrets(vals *options.Values, opts []options.Option, getenv func(string) string) []string {
	var out []string
	for _, s := range vals.Secrets(opts) {
		// A HOST=USER:SECRET line is masked as its secret in every
		// encoding, never announced whole.
		if creds, err := registry.ParseCredentials([]string{s}); err == nil {
			for _, c := range creds {
				out = append(out, redact.Credential(c.User, c.Secret)...)
			}
			continue
		}
		// Anything else is masked as it is (a line that does not parse may
		// still hold a secret), and as the Basic credential a token is
		// lent as: ghcr.io takes the workflow's token with the actor (or
		// x-access-token) as user.
		out = append(out, s)
		out = append(out, redact.Credential(getenv("GITHUB_ACTOR"), s)...)
		out = append(out, redact.Credential("x-access-token", s)...)
	}
	return out
}

// ApplyEnv fills options from their environment variables when not given:
// how GitHub's own variables (GITHUB_TOKEN) and TAGGUARD_REGISTRY_AUTH reach
// a run.
func ApplyEnv(vals *options.Values, opts []options.Option, getenv func(string) string) {
	for _, o := range opts {
		if vals.IsSet(o.Name) {
			continue
		}
		for _, e := range o.Env {
			if v := getenv(e); v != "" {
				vals.SetFromEnv(o.Name, v, e)
				break
			}
		}
	}
}

// Run runs command with its option values. Options not given are first
// read from their environment variables; every secret among them is added
// to env.Masker before a request is made.
func Run(ctx context.Context, command string, vals *options.Values, env Env) Outcome {
	out := Outcome{Command: command}
	cmd, ok := commands[command]
	if !ok {
		out.Err = errkind.BadInputf("unknown command %q", command)
		return out
	}
	opts := options.For(command)
	ApplyEnv(vals, opts, env.Getenv)
	if env.Masker != nil {
		env.Masker.Add(Secrets(vals, opts, env.Getenv)...)
	}
	if format := vals.String(options.Format); format != "text" && format != "json" && command != options.PinCmd {
		out.Err = errkind.BadInputf("--format %q: use text or json", format)
		return out
	}
	timeout := vals.Duration(options.Timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if env.Stderr != nil && !vals.Bool(options.Quiet) && vals.String(options.Format) == "text" {
		// Cleared before the report is printed.
		m := progress.New(env.Stderr, env.TTY, 10*time.Second)
		defer m.Stop()
		ctx = progress.With(ctx, m)
	}
	if err := readLists(ctx, vals, env.Stdin); err != nil {
		out.Err = err
		return out
	}
	d, err := newDeps(vals, env)
	if err != nil {
		out.Err = err
		return out
	}
	// The one place the dry run is decided.
	out.Report, out.Err = cmd(ctx, d, vals.Bool(options.DryRun))
	if out.Err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		out.Err = fmt.Errorf("%w (the run exceeded --timeout %s)", out.Err, timeout)
	}
	if out.Report != nil {
		report.Agree(out.Report, out.ExitCode())
	}
	return out
}

func newDeps(vals *options.Values, env Env) (deps, error) {
	getenv := env.Getenv
	creds, err := registry.ParseCredentials(vals.List(options.RegistryAuth))
	if err != nil {
		return deps{}, errkind.BadInputf("--registry-auth: %v", err)
	}
	for _, h := range vals.List(options.InsecureRegistry) {
		if _, err := name.NewRegistry(h, name.StrictValidation); err != nil || strings.ContainsAny(h, "/@") {
			return deps{}, errkind.BadInputf("--insecure-registry %q is not a registry host (HOST or HOST:PORT, no scheme or path)", report.Clip(h, 100))
		}
	}
	if token := vals.String(options.GitHubToken); strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		// Never echoed: it is a secret.
		return deps{}, errkind.BadInputf("--github-token holds white space or a control character: pass the token alone")
	}
	d := deps{vals: vals, env: env}
	var logf func(string, ...any)
	if env.Stderr != nil && vals.Bool(options.Verbose) {
		logf = func(format string, args ...any) { fmt.Fprintf(env.Stderr, "tagguard: "+format+"\n", args...) }
	}
	credsFrom := "--registry-auth"
	if e := vals.FromEnv(options.RegistryAuth); e != "" {
		credsFrom = e
	}
	cfg := registry.Config{
		Log:             logf,
		CredentialsFrom: credsFrom,
		Jobs:            vals.Int(options.Jobs),
		Insecure:        vals.List(options.InsecureRegistry),
		Credentials:     creds,
		GitHubToken:     vals.String(options.GitHubToken),
		GitHubActor:     getenv("GITHUB_ACTOR"),
		GitHubOwner:     getenv("GITHUB_REPOSITORY_OWNER"),
		UserAgent:       "tagguard/" + Version(),
	}
	if env.Masker != nil {
		cfg.NoteCredential = env.Masker.AddCredential
		cfg.NoteShortToken = env.Masker.AddWord
	}
	if d.registry, err = registry.New(cfg); err != nil {
		return deps{}, err
	}
	g := gateOptions(vals)
	if errs := g.Problems(); len(errs) > 0 {
		return deps{}, errkind.New(errkind.BadInput, errors.Join(errs...))
	}
	d.gate = gate.New(g, d.registry)
	if d.event, err = event.Load(getenv); err != nil {
		return deps{}, errkind.New(errkind.BadInput, err)
	}
	if token := vals.String(options.GitHubToken); token != "" {
		d.github, err = githubapi.New(githubapi.Config{Token: token, BaseURL: getenv("GITHUB_API_URL"), UserAgent: "tagguard/" + Version(), Log: logf})
		if err != nil {
			return deps{}, err
		}
	}
	return d, nil
}
