package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/tagguard/tagguard/internal/action"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/registry"
)

// runAction is tagguard as a container action: inputs from INPUT_*, the
// same execute path as the CLI, then outputs, job summary and annotations.
func runAction(ctx context.Context, stdout, stderr io.Writer, getenv func(string) string) int {
	a := githubactions.New(githubactions.WithWriter(stdout), githubactions.WithGetenv(getenv))
	// Masks go first, before anything else can print a secret.
	secrets := inputSecrets(getenv)
	for _, s := range secrets {
		a.AddMask(s)
	}
	mask := masker(secrets)
	safe, safeErr := newSafeWriter(stdout, secrets), newSafeWriter(stderr, secrets)
	fail := func(err error) int {
		a.Errorf("tagguard: %s", mask.Replace(err.Error()))
		fmt.Fprintf(safeErr, "tagguard: %v\n", err)
		return errkind.ExitCode(err)
	}
	mode, err := action.Mode(getenv)
	if err != nil {
		return fail(errkind.New(errkind.BadInput, err))
	}
	vals, note, err := action.Inputs(mode, getenv)
	if err != nil {
		return fail(errkind.New(errkind.BadInput, err))
	}
	applyEnv(vals, options.For(mode), getenv)
	for _, name := range action.Ignored(mode, getenv) {
		a.Warningf("tagguard: input %s is not used by mode %s and was ignored", name, mode)
	}
	out := execute(ctx, mode, vals, getenv, note)
	if out.report != nil {
		// Outputs later steps cannot read are a failure of the step, not a
		// footnote: a workflow would go on without them.
		if err := publish(a, safe, mask, vals.String("format"), out.cmd, out.report); err != nil && out.err == nil {
			out.err = errkind.New(errkind.Remote, err)
		}
	}
	if out.err != nil {
		return fail(out.err)
	}
	return out.exitCode()
}

// publish prints the report (with workflow commands stopped, so no text from
// outside can issue one) and writes outputs, summary and annotations. The
// error says what could not be written.
func publish(a *githubactions.Action, w io.Writer, mask *strings.Replacer, format, cmd string, rep report) error {
	token := make([]byte, 16)
	_, _ = rand.Read(token)
	resume := "tagguard-" + hex.EncodeToString(token)
	a.Group("tagguard " + cmd + " report")
	a.IssueCommand(&githubactions.Command{Name: "stop-commands", Message: resume})
	writeErr := writeReport(w, format, rep)
	a.IssueCommand(&githubactions.Command{Name: resume})
	a.EndGroup()

	// Secrets are kept out of reports in the first place; the masks here
	// are for what a registry may echo back in an error.
	outs, err := action.Outputs(rep)
	for k, v := range outs {
		outs[k] = mask.Replace(v)
	}
	if err == nil {
		err = action.SetOutputs(a, outs)
	}
	if err == nil {
		err = action.AddSummary(a, mask.Replace(action.Summary(rep)))
	}
	action.Annotate(a, rep)
	return errors.Join(writeErr, err)
}

// inputSecrets returns the secrets among the raw inputs and the variables
// that stand in for them. A registry-auth line that does not parse is
// masked whole: it may still hold a secret.
func inputSecrets(getenv func(string) string) []string {
	var out []string
	for _, t := range []string{action.Input(getenv, "github-token"), getenv("GITHUB_TOKEN")} {
		if t != "" {
			out = append(out, t)
		}
	}
	auth := action.Input(getenv, "registry-auth") + "\n" + getenv("TAGGUARD_REGISTRY_AUTH")
	for _, line := range options.SplitList(auth) {
		if creds, err := registry.ParseCredentials([]string{line}); err == nil {
			out = append(out, registry.Secrets(creds)...)
		} else {
			out = append(out, line)
		}
	}
	return out
}
