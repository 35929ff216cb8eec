package cli

import (
	"context"

	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/restore"
)

func runRestore(ctx context.Context, vals *options.Values, reg *registry.Client, env runEnv) (*restore.Report, error) {
	o := restore.Options{
		FromRelease: vals.String("from-release"),
		FromLedger:  vals.String("from-ledger"),
		Pins:        vals.List("pin"),
		Tags:        vals.List("tags"),
		DryRun:      vals.Bool("dry-run"),
		Event:       env.event,
		Jobs:        vals.Int("jobs"),
		Registry:    reg,
	}
	if env.github != nil {
		o.GitHub = env.github
	}
	return restore.Run(ctx, o)
}
