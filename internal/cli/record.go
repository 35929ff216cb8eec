package cli

import (
	"context"

	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/registry"
)

func runRecord(ctx context.Context, vals *options.Values, reg *registry.Client, env runEnv) (*record.Report, error) {
	o := record.Options{
		Images:        vals.List("images"),
		Digest:        vals.String("digest"),
		Metadata:      vals.String("metadata"),
		ReleaseTag:    vals.String("release-tag"),
		LedgerFile:    vals.String("ledger-file"),
		CreateRelease: vals.Bool("create-release"),
		DryRun:        vals.Bool("dry-run"),
		Event:         env.event,
		Jobs:          vals.Int("jobs"),
		Registry:      reg,
		Source:        env.imagesFrom,
	}
	if env.github != nil {
		o.GitHub = env.github
	}
	return record.Run(ctx, o)
}
