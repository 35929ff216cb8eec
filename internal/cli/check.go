package cli

import (
	"context"
	"strings"

	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/registry"
)

func runCheck(ctx context.Context, vals *options.Values, reg *registry.Client, getenv func(string) string) (*check.Report, error) {
	ev, err := event.Load(getenv)
	if err != nil {
		return nil, errkind.New(errkind.BadInput, err)
	}
	o := check.Options{
		Images:        vals.List("images"),
		Digest:        vals.String("digest"),
		Version:       vals.String("version"),
		ImmutableTags: vals.List("immutable-tags"),
		MutableTags:   vals.List("mutable-tags"),
		ExpectedBase:  vals.List("expected-base"),
		RequireBase:   vals.Bool("require-base"),
		Base:          vals.String("base"),
		Event:         ev,
		Jobs:          vals.Int("jobs"),
		Registry:      reg,
	}
	gh, err := newGitHub(vals, getenv)
	if err != nil {
		return nil, err
	}
	if owner, repo, ok := strings.Cut(ev.Repository, "/"); ok && gh != nil {
		o.LookupBase = func(ctx context.Context, sha string, globs []string) (string, error) {
			res, err := gh.Reachable(ctx, owner, repo, sha, globs)
			return res.Branch, err
		}
	}
	return check.Run(ctx, o)
}
