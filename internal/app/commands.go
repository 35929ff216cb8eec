package app

import (
	"context"
	"strings"

	"github.com/tagguard/tagguard/internal/audit"
	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/promote"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/restore"
)

// Each builder fills its command's typed options from the option values,
// by the names in the option table, and nothing else; what commands share
// is filled once, as a group.

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

func checkOptions(d deps) check.Options {
	v := d.vals
	return check.Options{
		Images:   v.List(options.Images),
		Digest:   v.String(options.Digest),
		Guards:   guards(d),
		Event:    d.event,
		Jobs:     v.Int(options.Jobs),
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
	o := record.Options{
		Images:         v.List(options.Images),
		Digest:         v.String(options.Digest),
		Metadata:       v.String(options.Metadata),
		ReleaseOptions: releaseOptions(d),
		Event:          d.event,
		Jobs:           v.Int(options.Jobs),
		Registry:       d.registry,
		Source:         d.env.ImagesFrom,
	}
	if d.github != nil {
		o.GitHub = d.github
	}
	return o
}

func restoreOptions(d deps) restore.Options {
	v := d.vals
	o := restore.Options{
		FromRelease:   v.String(options.FromRelease),
		FromLedgers:   v.List(options.FromLedger),
		Pins:          v.List(options.Pin),
		Tags:          v.List(options.Tags),
		AllowBackward: v.Bool(options.AllowBackward),
		Event:         d.event,
		Jobs:          v.Int(options.Jobs),
		Registry:      d.registry,
	}
	if d.github != nil {
		o.GitHub = d.github
	}
	return o
}

func auditOptions(d deps) audit.Options {
	v := d.vals
	o := audit.Options{
		FromReleases: v.Bool(options.FromReleases),
		FromRelease:  v.String(options.FromRelease),
		FromLedgers:  v.List(options.FromLedger),
		Tags:         v.List(options.Tags),
		Event:        d.event,
		Jobs:         v.Int(options.Jobs),
		Registry:     d.registry,
	}
	if d.github != nil {
		o.GitHub = d.github
	}
	return o
}

func promoteOptions(d deps) promote.Options {
	v := d.vals
	o := promote.Options{
		Sources:        v.List(options.Sources),
		Images:         v.List(options.Images),
		Guards:         guards(d),
		ReleaseOptions: releaseOptions(d),
		Event:          d.event,
		Jobs:           v.Int(options.Jobs),
		Registry:       d.registry,
		Source:         d.env.ImagesFrom,
	}
	if d.github != nil {
		o.GitHub = d.github
	}
	return o
}
