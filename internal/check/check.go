// Package check is the guard a release workflow runs before it publishes:
// it reads what the registry holds now and decides, per image reference and
// per run, whether publishing would overwrite a version, move a floating tag
// backwards, come from the wrong branch, or contradict the version.
package check

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/registry"
)

// Registry is what check reads from a registry.
type Registry interface {
	ParseTags(list []string) ([]name.Tag, []error)
	Resolve(ctx context.Context, ref name.Reference) (registry.Descriptor, error)
	Tags(ctx context.Context, repo name.Repository) ([]string, error)
}

// BaseLookup answers, for a run started by a tag, whether the tagged commit
// is on a branch matching one of the globs. It may be nil: the guard then
// says it could not tell.
type BaseLookup func(ctx context.Context, sha string, globs []string) (branch string, err error)

// Options is one check run, filled by the CLI or the action adapter.
type Options struct {
	Images        []string // REPO:TAG references
	Digest        string   // the digest being published, optional
	Version       string   // the version being published, optional
	ImmutableTags []string // globs replacing the semver rule
	MutableTags   []string // globs exempted from it
	ExpectedBase  []string // branch globs
	RequireBase   bool     // block when the base cannot be told
	Base          string   // the branch, when given outright (--base)
	Event         event.Context
	Jobs          int
	Registry      Registry
	LookupBase    BaseLookup
	// Source notes where the image list came from when it was not --images.
	Source string
}

// plan is the validated input: every reference parsed, every glob checked,
// before a single request is made.
type plan struct {
	refs    []name.Tag
	digest  *v1.Hash
	version *semver.Version
	policy  policy.Policy
}

func validate(o Options) (plan, error) {
	var p plan
	if len(o.Images) == 0 {
		return p, errkind.BadInputf("no images to check: give --images (REPO:TAG, comma- or newline-separated)")
	}
	var bad []error
	p.refs, bad = o.Registry.ParseTags(o.Images)
	if o.Digest != "" {
		d, err := registry.ParseDigest(o.Digest)
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
	if len(bad) > 0 {
		return p, errkind.New(errkind.BadInput, errors.Join(bad...))
	}
	return p, nil
}

// Run checks every image and every run-level guard and returns the report.
// A guard that refuses sets Report.Blocked; the error is for input that does
// not parse (nothing was read) and for registries that could not be read (the
// report then says which refs are unknown).
func Run(ctx context.Context, o Options) (*Report, error) {
	p, err := validate(o)
	if err != nil {
		return nil, err
	}
	r := &Report{Command: "check", Source: o.Source}
	if p.digest != nil {
		r.Digest = p.digest.String()
	}
	version, versionGuard := resolveVersion(p, o.Event)
	if version != nil {
		r.Version = version.Original()
	}

	results, tagLists, readErr := read(ctx, o, p)
	for i := range results {
		judgeRef(&results[i], p, version, tagLists)
	}
	r.Refs = results
	r.Guards = []Guard{
		immutableGuard(results),
		baseGuard(ctx, o),
		floatingGuard(results),
		versionGuard,
	}
	r.finish()
	if readErr != nil {
		return r, errkind.New(errkind.Remote, readErr)
	}
	return r, nil
}

// read HEADs every ref and lists the tags of each repository that has a
// floating tag, all at once within --jobs.
func read(ctx context.Context, o Options, p plan) ([]Ref, map[string]*tagList, error) {
	results := make([]Ref, len(p.refs))
	// Each repository with a floating tag gets its own *tagList before any
	// goroutine starts: a goroutine writes only the list it was handed, and
	// the map itself is never written concurrently.
	lists := map[string]*tagList{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(o.Jobs, 1))
	for i, t := range p.refs {
		results[i] = Ref{Ref: t.String(), Tag: t.TagStr(), Kind: p.policy.Kind(t.TagStr()), ref: t}
		if repo := t.Context().String(); results[i].Kind == policy.Floating && lists[repo] == nil {
			l := &tagList{}
			lists[repo] = l
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				l.tags, l.err = o.Registry.Tags(ctx, t.Context())
			})
		}
	}
	for i, t := range p.refs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			d, err := o.Registry.Resolve(ctx, t)
			switch {
			case errors.Is(err, registry.ErrNotFound):
				results[i].Exists = false
			case err != nil:
				results[i].err = err
			default:
				results[i].Exists = true
				results[i].Current = d.Digest.String()
				results[i].MediaType = string(d.MediaType)
			}
		})
	}
	wg.Wait()
	var errs []error
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	for _, l := range lists {
		if l.err != nil {
			errs = append(errs, l.err)
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return results, lists, errors.Join(errs...)
}

type tagList struct {
	tags []string
	err  error
}
