// Package check is the guard a release workflow runs before it publishes:
// it reads what the registry holds now and decides, per image reference and
// per run, whether publishing would overwrite a version, move a floating tag
// backwards, come from the wrong branch, or contradict the version.
package check

import (
	"context"
	"errors"
	"fmt"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// Registry is what check reads from a registry.
type Registry interface {
	Resolve(ctx context.Context, ref name.Reference) (registry.Descriptor, error)
	Tags(ctx context.Context, repo name.Repository) ([]string, error)
}

// BaseLookup answers, for a run started by a tag, whether the tagged commit
// is on a branch matching one of the globs. It may be nil: the guard then
// says it could not tell.
type BaseLookup func(ctx context.Context, sha string, globs []string) (branch string, err error)

// Guards are the guard options check shares with promote: one group, filled
// from the option table's rows once, embedded by both.
type Guards struct {
	Version       string     // the version being published, optional
	ImmutableTags []string   // globs replacing the semver rule
	MutableTags   []string   // globs exempted from it
	ExpectedBase  []string   // branch globs
	RequireBase   bool       // block when the base cannot be told
	Base          string     // the branch, when given outright (--base)
	LookupBase    BaseLookup // whether a tagged commit is on a branch; may be nil
}

// Options is one check run, filled by the CLI or the action adapter.
type Options struct {
	Images []string // REPO:TAG references
	Digest string   // the digest being published, optional
	Guards
	// Run is the run context; its Gate, when on, requires --digest to
	// verify in every repository of --images.
	command.Run
	Registry Registry
	// Source notes where the image list came from when it was not --images.
	Source string
	// Promote is set when promote runs the guards: fix lines then name
	// promote's options (it takes no --digest: it knows what it publishes).
	Promote bool
}

// input is the validated input: every reference parsed, every glob
// checked, before a single request is made.
type input struct {
	refs    []name.Tag
	digest  *v1.Hash
	version *semver.Version
	policy  policy.Policy
	promote bool
}

// Validate checks o as Plan does, without a request: promote checks the
// guard options it shares with check before it reads a source.
func Validate(o Options) error {
	_, err := validate(o)
	return err
}

func validate(o Options) (input, error) {
	p := input{promote: o.Promote}
	if len(o.Images) == 0 {
		return p, errkind.BadInputf("no images to check: give --images (REPO:TAG, comma- or newline-separated)")
	}
	var bad []error
	p.refs, bad = refs.ParseTags(o.Images)
	if o.Gate != nil && o.Digest == "" {
		bad = append(bad, errors.New("the signature gate verifies the digest being published: give --digest (build-push-action's digest output)"))
	}
	if o.Digest != "" {
		d, err := refs.ParseDigest(o.Digest)
		if err != nil {
			bad = append(bad, fmt.Errorf("--digest: %w", err))
		} else {
			p.digest = &d
		}
	}
	if o.Version != "" {
		v, ok := policy.ParseVersion(o.Version)
		if !ok {
			bad = append(bad, fmt.Errorf("--version %q is not a semantic version such as 1.2.3 or v1.2.3-rc.1", o.Version))
		}
		p.version = v
	}
	pol, err := policy.New(o.ImmutableTags, o.MutableTags)
	if err != nil {
		bad = append(bad, fmt.Errorf("--immutable-tags/--mutable-tags: %w", err))
	}
	p.policy = pol
	for _, g := range o.ExpectedBase {
		if err := policy.ValidGlob(g); err != nil {
			bad = append(bad, fmt.Errorf("--expected-base: %w", err))
		}
	}
	if p := refs.GitRefProblem(o.Base); p != "" {
		bad = append(bad, fmt.Errorf("--base %q %s", report.Clip(o.Base, 100), p))
	}
	if len(bad) > 0 {
		return p, errkind.New(errkind.BadInput, errors.Join(bad...))
	}
	return p, nil
}
