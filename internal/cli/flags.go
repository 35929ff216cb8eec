package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/options"
)

// flagValue adapts one option of the table to the flag package.
type flagValue struct {
	opt  options.Option
	vals *options.Values
}

func (f flagValue) String() string {
	if f.vals == nil {
		return ""
	}
	return f.vals.String(f.opt.Name)
}

func (f flagValue) Set(s string) error {
	if f.opt.Type == options.List {
		f.vals.Append(f.opt.Name, s)
	} else {
		f.vals.Set(f.opt.Name, s)
	}
	return nil
}

func (f flagValue) IsBoolFlag() bool { return f.opt.Type == options.Bool }

// parseFlags reads args into values for the options of command. Help goes to
// stdout; errors come back for the caller to report.
func parseFlags(command string, args []string, stdout io.Writer) (*options.Values, error) {
	opts := options.For(command)
	vals := options.NewValues(opts)
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, o := range opts {
		fs.Var(flagValue{opt: o, vals: vals}, o.Name, o.Usage)
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			writeHelp(stdout, command, opts)
			return nil, err
		}
		return nil, fmt.Errorf("%v (see 'tagguard %s --help')", err, command)
	}
	if fs.NArg() > 0 {
		hint := ""
		if a := fs.Arg(0); a == "true" || a == "false" {
			hint = " (a boolean flag takes its value with =, e.g. --require-base=false)"
		}
		return nil, fmt.Errorf("unexpected argument %q%s: every input is a flag (see 'tagguard %s --help')", fs.Arg(0), hint, command)
	}
	if err := vals.Validate(opts); err != nil {
		return nil, err
	}
	return vals, nil
}

var commandHelp = map[string]string{
	options.Check: `Guard a publish: block version tags that already exist, floating tags that
would move backwards, releases from an unexpected branch, and versions that
contradict the git tag. Read-only.

Examples:
  tagguard check --images ghcr.io/org/app:1.2.3,ghcr.io/org/app:latest
  tagguard check --images ghcr.io/org/app:1.2.3 --digest sha256:... --expected-base main --base main
  tagguard check --images "$TAGS" --expected-base 'main,release/*' --format json`,
	options.Audit: `Check, read-only, that every tag the ledgers recorded still points where the
newest record says: ok, drifted (another digest), missing (tag gone) or
unknown (not read); for a ref not ok, whether its recorded digest (and an
index's children) still exists: restorable, or unrestorable (rebuild from
source). One ledger recording a tag's mirrors at different digests is
inconsistent. The JSON report's drift is a ledger of the restorable refs
for restore --from-ledger.

Examples:
  tagguard audit --from-releases
  tagguard audit --from-ledger ledger-1.2.3.json --from-ledger ledger-1.2.4.json --tags '1.*'
  tagguard audit --from-releases --format json | jq .drift > drift.json && tagguard restore --from-ledger drift.json --dry-run`,
	options.Promote: `The guarded publish for push-by-digest builds: prove every source present,
publish one source as its exact bytes or several as one image index (one
entry per platform, always the same bytes for the same sources), judge the
tags with check's guards against that digest, write each tag (an immutable
one is read again right before its write), read every tag back, and record
them as record does. Nothing already right is written.

Examples:
  tagguard promote --sources ghcr.io/org/app@sha256:...,ghcr.io/org/app@sha256:... \
    --images ghcr.io/org/app:1.2.3,ghcr.io/org/app:latest --expected-base main --dry-run
  tagguard promote --sources "$DIGESTS" --images "$TAGS" --release-tag v1.2.3 --ledger-file ledger.json`,
	options.Record: `Record what was pushed: the digest behind every ref (and each platform of an
image index), as outputs, a ledger file and a section of the GitHub release
notes. Fails when a tag points elsewhere than --digest (overwritten after the
push).

Examples:
  tagguard record --images ghcr.io/org/app:1.2.3,ghcr.io/org/app:latest --ledger-file ledger.json
  tagguard record --images "$TAGS" --digest "$DIGEST" --release-tag v1.2.3`,
	options.Restore: `Re-point tags at recorded digests, byte for byte, with registry API calls
alone. Exactly one source: --from-release, --from-ledger or --pin. Every
target digest must still be in its repository before anything is written;
tags already at their target are never written; every write is read back.

Examples:
  tagguard restore --from-ledger ledger.json --dry-run
  tagguard restore --from-release v0.15.0 --tags '0.15.*'
  tagguard restore --pin ghcr.io/org/app:0.15.0@sha256:...`,
}

func writeHelp(w io.Writer, command string, opts []options.Option) {
	fmt.Fprintf(w, "Usage: tagguard %s [flags]\n\n%s\n\nFlags:\n", command, commandHelp[command])
	for _, o := range opts {
		arg := ""
		switch o.Type {
		case options.String:
			arg = " string"
		case options.Int:
			arg = " n"
		case options.Duration:
			arg = " duration"
		case options.List:
			arg = " list"
		}
		fmt.Fprintf(w, "  --%s%s\n        %s", o.Name, arg, o.Usage)
		if o.Default != "" {
			fmt.Fprintf(w, " (default %s)", o.Default)
		}
		if len(o.Env) > 0 {
			fmt.Fprintf(w, " (env %s)", strings.Join(o.Env, ", "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n%s\n", errkind.ExitCodesFor(command))
}
