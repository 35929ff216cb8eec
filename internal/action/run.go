package action

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/tagguard/tagguard/internal/app"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/redact"
	"github.com/tagguard/tagguard/internal/report"
)

// Run is tagguard as a container action step: inputs from INPUT_*, the same
// app.Run as the CLI, then the report (with workflow commands stopped),
// outputs, job summary and annotations. It returns the exit code.
func Run(ctx context.Context, stdout, stderr io.Writer, getenv func(string) string) int {
	return RunEnv(ctx, stdout, stderr, getenv, nil)
}

// RunEnv is Run with the environment's lookup, which tells a variable set
// to "" from an unset one (nil: it cannot be told).
func RunEnv(ctx context.Context, stdout, stderr io.Writer, getenv func(string) string, lookup func(string) (string, bool)) int {
	a := githubactions.New(githubactions.WithWriter(stdout), githubactions.WithGetenv(getenv))
	// Masks go first, before anything else can print a secret; a secret
	// met later (a token from a token service) is announced as it comes.
	mask := redact.New(a.AddMask, inputSecrets(getenv)...)
	safe, safeErr := mask.Writer(stdout), mask.Writer(stderr)
	fail := func(err error) int {
		msg := mask.Replace(Say(err.Error()))
		a.Errorf("tagguard: %s", msg)
		fmt.Fprintf(safeErr, "tagguard: %s\n", msg)
		return errkind.ExitCode(err)
	}
	mode, err := Mode(getenv)
	if err != nil {
		return fail(errkind.New(errkind.BadInput, err))
	}
	// The report output is there whatever happened: a later step reads its
	// verdict rather than an empty string.
	failReport := func(code int, err error) {
		if js, jerr := safeJSON(report.Failure(mode, code, err)); jerr == nil {
			_ = SetOutputs(a, map[string]string{"report": mask.Replace(js)})
		}
	}
	vals, note, err := Inputs(mode, getenv)
	if err != nil {
		err = errkind.New(errkind.BadInput, err)
		failReport(errkind.ExitCode(err), err)
		return fail(err)
	}
	// GitHub shows 10 annotations of a level per step: every one tagguard
	// writes counts, not only the report's.
	used := map[report.Level]int{}
	for _, name := range Ignored(mode, getenv) {
		a.Warningf("tagguard: input %s is not used by mode %s and was ignored", name, mode)
		used[report.Warning]++
	}
	out := app.Run(ctx, mode, vals, app.Env{Getenv: getenv, LookupEnv: lookup, ImagesFrom: note, Masker: mask, Stderr: safeErr})
	if out.Said() != nil {
		used[report.Bad]++ // fail's line, below
	}
	if out.Report != nil {
		// Outputs later steps cannot read are a failure of the step, not a
		// footnote: a workflow would go on without them.
		if err := publish(a, safe, mask, vals.String(options.Format), out.Command, out.Report, out.ExitCode(), used); err != nil && out.Err == nil {
			out.Err = errkind.New(errkind.Remote, err)
		}
	}
	if out.Report == nil && out.Err != nil {
		failReport(out.ExitCode(), out.Err)
	}
	if said := out.Said(); said != nil {
		return fail(said)
	}
	return out.ExitCode()
}

// publish prints the report (with workflow commands stopped, so no text from
// outside can issue one) and writes outputs, summary and annotations. The
// error says what could not be written.
func publish(a *githubactions.Action, w io.Writer, mask *redact.Masker, format, cmd string, rep report.Report, code int, used map[report.Level]int) error {
	token := make([]byte, 16)
	_, _ = rand.Read(token)
	resume := "tagguard-" + hex.EncodeToString(token)
	a.Group("tagguard " + cmd + " report")
	a.IssueCommand(&githubactions.Command{Name: "stop-commands", Message: resume})
	// The human report names inputs, as every message in a step does; the
	// JSON report stays the machine's, byte for byte the report output.
	var writeErr error
	if format == "json" {
		writeErr = report.Write(w, format, cmd, rep, code)
	} else {
		var b strings.Builder
		if writeErr = rep.WriteText(&b); writeErr == nil {
			_, writeErr = io.WriteString(w, Say(b.String()))
		}
	}
	a.IssueCommand(&githubactions.Command{Name: resume})
	a.EndGroup()
	shown := rep.Show()
	if id := a.Getenv("GITHUB_RUN_ID"); cmd == "audit" && id != "" && strings.Contains(shown.Next, "this run's drift output") {
		// In the workflow's own terms: the restore workflow takes the
		// audit run whose drift output it restores.
		shown.Next = strings.Replace(shown.Next, "this run's drift output", "the drift output of run "+id+" (the restore workflow's audit-run-id input)", 1)
	}
	// Secrets are kept out of reports in the first place; the masks here
	// are for what a registry may echo back in an error.
	outs, notes, err := Outputs(cmd, rep, code)
	for k, v := range outs {
		outs[k] = mask.Replace(v)
	}
	for _, n := range notes {
		a.Warningf("tagguard: %s", Say(n))
		used[report.Warning]++
	}
	if err == nil {
		err = SetOutputs(a, outs)
	}
	if err == nil {
		err = AddSummary(a, mask.Replace(Summary(cmd, shown)))
	}
	Annotate(a, mask, shown, used)
	return errors.Join(writeErr, err)
}

// inputSecrets returns the secrets among the raw inputs and the variables
// that stand in for them (GITHUB_TOKEN, TAGGUARD_REGISTRY_AUTH), in every
// encoding, before the inputs are even parsed.
func inputSecrets(getenv func(string) string) []string {
	var opts []options.Option
	for _, o := range options.Table() {
		if o.Secret {
			opts = append(opts, o)
		}
	}
	var out []string
	// Each source on its own: the input and the variable may differ.
	for _, fromEnv := range []bool{false, true} {
		vals := options.NewValues(opts)
		for _, o := range opts {
			v := Input(getenv, o.Name)
			if fromEnv {
				v = ""
				for _, e := range o.Env {
					v += getenv(e) + "\n"
				}
			}
			vals.Set(o.Name, v)
		}
		out = append(out, app.Secrets(vals, opts, getenv)...)
	}
	return out
}
