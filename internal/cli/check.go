package cli

import (
	"context"
	"strings"

	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/registry"
)

func runCheck(ctx context.Context, vals *options.Values, reg *registry.Client, env runEnv) (*check.Report, error) {
	o := check.Options{
		Images:        vals.List("images"),
		Digest:        vals.String("digest"),
		Version:       vals.String("version"),
		ImmutableTags: vals.List("immutable-tags"),
		MutableTags:   vals.List("mutable-tags"),
		ExpectedBase:  vals.List("expected-base"),
		RequireBase:   vals.Bool("require-base"),
		Base:          vals.String("base"),
		Event:         env.event,
		Jobs:          vals.Int("jobs"),
		Registry:      reg,
		Source:        env.imagesFrom,
	}
	if owner, repo, ok := strings.Cut(env.event.Repository, "/"); ok && env.github != nil {
		gh := env.github
		o.LookupBase = func(ctx context.Context, sha string, globs []string) (string, error) {
			res, err := gh.Reachable(ctx, owner, repo, sha, globs)
			return res.Branch, err
		}
	}
	return check.Run(ctx, o)
}
