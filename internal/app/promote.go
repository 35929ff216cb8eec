package app

import (
	"context"

	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/promote"
	"github.com/tagguard/tagguard/internal/report"
)

func planPromote(ctx context.Context, d deps) (report.Report, applyFunc, error) {
	v := d.vals
	o := promote.Options{
		Sources:       v.List(options.Sources),
		Images:        v.List(options.Images),
		Version:       v.String(options.Version),
		ImmutableTags: v.List(options.ImmutableTags),
		MutableTags:   v.List(options.MutableTags),
		ExpectedBase:  v.List(options.ExpectedBase),
		RequireBase:   v.Bool(options.RequireBase),
		Base:          v.String(options.Base),
		LookupBase:    d.lookupBase(),
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
	p, err := promote.NewPlan(ctx, o)
	if p == nil {
		return nil, nil, err
	}
	return p.Report(), func(ctx context.Context) (report.Report, error) { return p.Apply(ctx) }, err
}
