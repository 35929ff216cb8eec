// Package audit checks, read-only, that every tag the ledgers recorded
// still points where the newest record says: a hand push, another pipeline
// or a cleanup policy can move a released tag or delete what it pointed at,
// and audit finds that the same day, while restore still works. It never
// writes.
package audit

import (
	"context"
	"errors"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/registry"
)

// Registry is what audit reads. It has no method that writes.
type Registry interface {
	Resolve(ctx context.Context, ref name.Reference) (registry.Descriptor, error)
	Manifest(ctx context.Context, ref name.Reference) (registry.Manifest, error)
	// Tags lists a repository's tags: whether a floating tag advanced.
	Tags(ctx context.Context, repo name.Repository) ([]string, error)
	// AttachmentsOf reads what is attached to each digest (--referrers).
	AttachmentsOf(ctx context.Context, ds []name.Digest, inline map[string]bool) (map[string]oci.Attached, error)
}

// Options is one audit.
type Options struct {
	FromReleases bool     // every release of the repository with a ledger
	FromRelease  string   // one release's ledger
	FromLedgers  []string // ledger files
	Tags         []string // globs over tag names; empty means all
	DriftFile    string   // also write the drift ledger here
	// Referrers checks that what a ledger recorded as attached (signatures,
	// attestations, SBOMs) is still there.
	Referrers bool
	// Run is the run context; its Gate, when on, checks that each
	// recorded digest still verifies.
	command.Run
	Registry Registry
	GitHub   load.Releases // nil without a token
}

func (o Options) sources() load.Sources {
	return load.Sources{Files: o.FromLedgers, Release: o.FromRelease, AllReleases: o.FromReleases,
		Repository: o.Event.Repository, GitHub: o.GitHub, ReadFile: o.ReadFile}
}

// Validate checks o with no I/O: every bad value is bad input (exit 2).
func Validate(o Options) error {
	var bad []error
	if o.sources().Count() == 0 {
		bad = append(bad, errors.New("nothing to audit: give --from-releases, --from-release TAG or --from-ledger PATH"))
	}
	for _, g := range o.Tags {
		if err := policy.ValidGlob(g); err != nil {
			bad = append(bad, err)
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

// CheckOutput looks where --drift-file would be written (its directory
// exists, it is none of the inputs), before the first request: kept out of
// Validate, which does no I/O.
func CheckOutput(o Options) error {
	return errkind.New(errkind.BadInput, files.CheckOutput("--drift-file", o.DriftFile, o.FromLedgers...))
}
