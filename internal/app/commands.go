package app

import (
	"context"
	"strings"

	"github.com/tagguard/tagguard/internal/audit"
	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/report"
	"github.com/tagguard/tagguard/internal/restore"
)

// Each planner fills its command's typed options from the option values,
// by the names in the option table, and nothing else.

func planCheck(ctx context.Context, d deps) (report.Report, applyFunc, error) {
	v := d.vals
	o := check.Options{
		Images:        v.List(options.Images),
		Digest:        v.String(options.Digest),
		Version:       v.String(options.Version),
		ImmutableTags: v.List(options.ImmutableTags),
		MutableTags:   v.List(options.MutableTags),
		ExpectedBase:  v.List(options.ExpectedBase),
		RequireBase:   v.Bool(options.RequireBase),
		Base:          v.String(options.Base),
		Event:         d.event,
		Jobs:          v.Int(options.Jobs),
		Registry:      d.registry,
		Source:        d.env.ImagesFrom,
		LookupBase:    d.lookupBase(),
	}
	r, err := check.Plan(ctx, o)
	if r == nil {
		return nil, nil, err
	}
	return r, nil, err
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

func planRecord(ctx context.Context, d deps) (report.Report, applyFunc, error) {
	v := d.vals
	o := record.Options{
		Images:        v.List(options.Images),
		Digest:        v.String(options.Digest),
		Metadata:      v.String(options.Metadata),
		ReleaseTag:    v.String(options.ReleaseTag),
		LedgerFile:    v.String(options.LedgerFile),
		CreateRelease: v.Bool(options.CreateRelease),
		Event:         d.event,
		Jobs:          v.Int(options.Jobs),
		Registry:      d.registry,
		Source:        d.env.ImagesFrom,
	}
	if d.github != nil {
		o.GitHub = d.github
	}
	p, err := record.NewPlan(ctx, o)
	if p == nil {
		return nil, nil, err
	}
	return p.Report(), func(ctx context.Context) (report.Report, error) { return p.Apply(ctx) }, err
}

func planRestore(ctx context.Context, d deps) (report.Report, applyFunc, error) {
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
	p, err := restore.NewPlan(ctx, o)
	if p == nil {
		return nil, nil, err
	}
	return p.Report(), func(ctx context.Context) (report.Report, error) { return p.Apply(ctx) }, err
}

func planAudit(ctx context.Context, d deps) (report.Report, applyFunc, error) {
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
	r, err := audit.Plan(ctx, o)
	if r == nil {
		return nil, nil, err
	}
	return r, nil, err
}
