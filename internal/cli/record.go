package cli

import (
	"context"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/registry"
)

func runRecord(ctx context.Context, vals *options.Values, reg *registry.Client, getenv func(string) string) (*record.Report, error) {
	ev, err := event.Load(getenv)
	if err != nil {
		return nil, errkind.New(errkind.BadInput, err)
	}
	o := record.Options{
		Images:        vals.List("images"),
		Digest:        vals.String("digest"),
		Metadata:      vals.String("metadata"),
		ReleaseTag:    vals.String("release-tag"),
		LedgerFile:    vals.String("ledger-file"),
		CreateRelease: vals.Bool("create-release"),
		DryRun:        vals.Bool("dry-run"),
		Event:         ev,
		Jobs:          vals.Int("jobs"),
		Registry:      reg,
	}
	gh, err := newGitHub(vals, getenv)
	if err != nil {
		return nil, err
	}
	if gh != nil {
		o.GitHub = gh
	}
	return record.Run(ctx, o)
}

// newGitHub returns a GitHub client, or nil when no token was given.
func newGitHub(vals *options.Values, getenv func(string) string) (*githubapi.Client, error) {
	token := vals.String("github-token")
	if token == "" {
		return nil, nil
	}
	return githubapi.New(githubapi.Config{Token: token, BaseURL: getenv("GITHUB_API_URL"), UserAgent: "tagguard/" + Version()})
}
