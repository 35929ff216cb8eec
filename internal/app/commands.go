package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/tagguard/tagguard/internal/audit"
	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/pin"
	"github.com/tagguard/tagguard/internal/promote"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/restore"
)

// Each builder fills its command's typed options from the option values,
// by the names in the option table, and nothing else; what commands share
// is filled once, as a group.

// github is the GitHub client as the interface a command takes: nil
// without a token, never a typed nil (an interface holding a nil pointer
// would look present).
func github[I any](d deps) (i I) {
	if d.github != nil {
		i = any(d.github).(I)
	}
	return i
}

// guards are check's guard options, shared with promote.
func guards(d deps) check.Guards {
	v := d.vals
	return check.Guards{
		Version:       v.String(options.Version),
		ImmutableTags: v.List(options.ImmutableTags),
		MutableTags:   v.List(options.MutableTags),
		ExpectedBase:  v.List(options.ExpectedBase),
		RequireBase:   v.Bool(options.RequireBase),
		Base:          v.String(options.Base),
		LookupBase:    d.lookupBase(),
	}
}

// releaseOptions are record's release options, shared with promote.
func releaseOptions(d deps) record.ReleaseOptions {
	v := d.vals
	return record.ReleaseOptions{
		ReleaseTag:    v.String(options.ReleaseTag),
		LedgerFile:    v.String(options.LedgerFile),
		CreateRelease: v.Bool(options.CreateRelease),
	}
}

// gateOptions are the signature gate's options, shared by every command
// it guards.
func gateOptions(v *options.Values) gate.Options {
	return gate.Options{
		Keys:           v.List(options.SignatureKey),
		Identity:       v.String(options.CertIdentity),
		IdentityRegexp: v.String(options.CertIdentityRegexp),
		Issuer:         v.String(options.CertOIDCIssuer),
		IssuerRegexp:   v.String(options.CertOIDCIssuerRegexp),
		TrustedRoot:    v.String(options.TrustedRoot),
		IgnoreTlog:     v.Bool(options.InsecureIgnoreTlog),
	}
}

// run is the run context every command embeds, filled once. Its Gate is
// nil unless a key or an identity was given (record takes neither).
func (d deps) run() command.Run {
	return command.Run{Event: d.event, Jobs: d.vals.Int(options.Jobs), Gate: d.gate}
}

func checkOptions(d deps) check.Options {
	v := d.vals
	return check.Options{
		Images:   v.List(options.Images),
		Digest:   v.String(options.Digest),
		Guards:   guards(d),
		Run:      d.run(),
		Registry: d.registry,
		Source:   d.env.ImagesFrom,
	}
}

// lookupBase answers, for a run started by a tag, whether the tagged
// commit is on an expected branch: GitHub's compare API, when a token and
// the repository are known.
func (d deps) lookupBase() check.BaseLookup {
	owner, repo, ok := strings.Cut(d.event.Repository, "/")
	if !ok || d.github == nil {
		return nil
	}
	gh := d.github
	return func(ctx context.Context, sha string, globs []string) (string, error) {
		res, err := gh.Reachable(ctx, owner, repo, sha, globs)
		return res.Branch, err
	}
}

func recordOptions(d deps) record.Options {
	v := d.vals
	return record.Options{
		GitHub:         github[record.Releases](d),
		Images:         v.List(options.Images),
		Digest:         v.String(options.Digest),
		Metadata:       v.String(options.Metadata),
		Referrers:      v.Bool(options.Referrers),
		ReleaseOptions: releaseOptions(d),
		Run:            d.run(),
		Registry:       d.registry,
		Source:         d.env.ImagesFrom,
	}
}

func restoreOptions(d deps) restore.Options {
	v := d.vals
	return restore.Options{
		GitHub:        github[restore.Releases](d),
		FromRelease:   v.String(options.FromRelease),
		FromLedgers:   v.List(options.FromLedger),
		Pins:          v.List(options.Pin),
		Tags:          v.List(options.Tags),
		AllowBackward: v.Bool(options.AllowBackward),
		Referrers:     v.Bool(options.Referrers),
		UndoFile:      v.String(options.UndoFile),
		Run:           d.run(),
		Registry:      d.registry,
	}
}

func auditOptions(d deps) audit.Options {
	v := d.vals
	return audit.Options{
		GitHub:       github[load.Releases](d),
		FromReleases: v.Bool(options.FromReleases),
		FromRelease:  v.String(options.FromRelease),
		FromLedgers:  v.List(options.FromLedger),
		Tags:         v.List(options.Tags),
		DriftFile:    v.String(options.DriftFile),
		Referrers:    v.Bool(options.Referrers),
		Run:          d.run(),
		Registry:     d.registry,
	}
}

func promoteOptions(d deps) promote.Options {
	v := d.vals
	return promote.Options{
		GitHub:         github[record.Releases](d),
		Sources:        v.List(options.Sources),
		Referrers:      v.Bool(options.Referrers),
		Images:         v.List(options.Images),
		Guards:         guards(d),
		ReleaseOptions: releaseOptions(d),
		Run:            d.run(),
		Registry:       d.registry,
		Source:         d.env.ImagesFrom,
	}
}

func pinOptions(d deps) pin.Options {
	v := d.vals
	o := pin.Options{
		GitHub:       github[load.Releases](d),
		FromRelease:  v.String(options.FromRelease),
		FromLedgers:  v.List(options.FromLedger),
		Compose:      v.List(options.ComposeFile),
		Format:       v.String(options.Format),
		Rename:       v.List(options.Rename),
		Output:       v.String(options.Output),
		Resolve:      v.Bool(options.Resolve),
		AllowPartial: v.Bool(options.AllowPartial),
		Verify:       v.Bool(options.Verify),
		Run:          d.run(),
		Registry:     d.registry,
		Getenv:       d.env.Getenv,
		LookupEnv:    d.env.LookupEnv,
	}
	if w := d.env.Stderr; w != nil {
		o.Warn = func(line string) { fmt.Fprintln(w, line) }
	}
	return o
}
