// Package pin puts a ledger to work on the deploy side: a compose override
// that pins each service's image by digest, a kustomize images list, a lock
// list, or — with --verify — the compare-before-update gate of a deploy
// script: every digest a compose file pins is the ledger's and still
// exists. A tag is a pointer; a deploy that follows the tag string misses
// a digest that changed under it.
package pin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/registry"
)

// Registry is what pin reads.
type Registry interface {
	Resolve(ctx context.Context, ref name.Reference) (registry.Descriptor, error)
}

// The outputs pin writes (--format).
const (
	Compose   = "compose"   // a compose override: services.*.image pinned (the default with --compose)
	Kustomize = "kustomize" // a kustomize images: list
	List      = "list"      // REPO:TAG@sha256:… lines
)

// Options is one pin run.
type Options struct {
	FromRelease string
	FromLedgers []string // ledger files, combined with --from-release
	Compose     []string // compose files, later ones overriding earlier ones' services
	// Format is what is written: text (a compose override with --compose,
	// else a list), compose, kustomize, list, or json (the report).
	Format  string
	Rename  []string // OLD=NEW: kustomize's newName for a registry or repository prefix
	Output  string   // write here instead of stdout
	Resolve bool     // pin a service whose image no ledger records by its current digest (one HEAD)
	Verify  bool     // check the compose files' pinned digests instead of writing
	// AllowPartial writes an override that leaves out a service running a
	// recorded repository, or pins nothing; without it that is exit 1.
	AllowPartial bool
	// Run is the run context; its Gate, when on, requires every digest
	// pinned, or checked with --verify, to verify.
	command.Run

	Registry Registry
	GitHub   load.Releases
	Getenv   func(string) string // the compose interpolation's environment
	// LookupEnv, when set, tells a variable set to "" from an unset one.
	LookupEnv func(string) (string, bool)
	Warn      func(string) // a line on stderr: an unrecorded service, a tag that moved
}

func (o Options) sources() load.Sources {
	return load.Sources{Files: o.FromLedgers, Release: o.FromRelease, Repository: o.Event.Repository, GitHub: o.GitHub, ReadFile: o.ReadFile}
}

// kind is what is written, from --format.
func (o Options) kind() string {
	switch o.Format {
	case Compose, Kustomize, List:
		return o.Format
	}
	if len(o.Compose) > 0 {
		return Compose
	}
	return List
}

// Validate checks o with no I/O: every bad value is bad input (exit 2).
func Validate(o Options) error {
	var bad []error
	if o.sources().Count() == 0 {
		bad = append(bad, errors.New("give a ledger: --from-ledger PATH (repeatable: a release of several images has a ledger each) or --from-release TAG"))
	}
	if !slices.Contains([]string{"", "text", "json", Compose, Kustomize, List}, o.Format) {
		bad = append(bad, fmt.Errorf("--format %q: pin writes text, json, compose, kustomize or list", o.Format))
	}
	if (o.Format == Compose || o.Verify) && len(o.Compose) == 0 {
		bad = append(bad, errors.New("--compose FILE is needed for a compose override and for --verify"))
	}
	if o.Verify && o.Output != "" {
		bad = append(bad, errors.New("--output has nothing to write with --verify: the gate's answer is its exit code and report"))
	}
	if (o.Format == Kustomize || o.Format == List) && len(o.Compose) > 0 {
		bad = append(bad, fmt.Errorf("--compose is read only for a compose override or --verify, not for --format %s: drop one", o.Format))
	}
	if len(o.Rename) > 0 && o.kind() != Kustomize {
		bad = append(bad, errors.New("--rename maps names in a kustomize images list only (--format kustomize)"))
	}
	for _, r := range o.Rename {
		old, nw, ok := strings.Cut(r, "=")
		if !ok || old == "" || nw == "" || strings.ContainsAny(r, " \t@") {
			bad = append(bad, fmt.Errorf("--rename %q: want OLD=NEW, a registry or repository prefix and its mirror", r))
		}
	}
	if err := o.sources().Validate(); err != nil {
		bad = append(bad, errors.Unwrap(err))
	}
	if len(bad) > 0 {
		return errkind.New(errkind.BadInput, errors.Join(bad...))
	}
	return nil
}

// CheckOutput looks where --output would be written (its directory
// exists, it is none of the inputs), before the first request: kept out of
// Validate, which does no I/O.
func CheckOutput(o Options) error {
	return errkind.New(errkind.BadInput, files.CheckOutput("--output", o.Output, append(slices.Clone(o.Compose), o.FromLedgers...)...))
}
