package cli

import (
	"context"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/restore"
)

func runRestore(ctx context.Context, vals *options.Values, reg *registry.Client, getenv func(string) string) (*restore.Report, error) {
	ev, err := event.Load(getenv)
	if err != nil {
		return nil, errkind.New(errkind.BadInput, err)
	}
	o := restore.Options{
		FromRelease: vals.String("from-release"),
		FromLedger:  vals.String("from-ledger"),
		Pins:        vals.List("pin"),
		Tags:        vals.List("tags"),
		DryRun:      vals.Bool("dry-run"),
		Event:       ev,
		Jobs:        vals.Int("jobs"),
		Registry:    reg,
	}
	gh, err := newGitHub(vals, getenv)
	if err != nil {
		return nil, err
	}
	if gh != nil {
		o.GitHub = gh
	}
	return restore.Run(ctx, o)
}
