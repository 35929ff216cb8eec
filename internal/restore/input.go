// Package restore re-points tags at recorded digests with registry API calls
// alone: every target is validated, every digest proven present, and the
// plan made before the first write; each write puts the recorded manifest's
// exact bytes back, and each tag is read again afterwards.
package restore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/policy"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/registry"
)

// Registry is what restore reads and writes.
type Registry interface {
	Resolve(ctx context.Context, ref name.Reference) (registry.Descriptor, error)
	Manifest(ctx context.Context, ref name.Reference) (registry.Manifest, error)
	Put(ctx context.Context, tag name.Tag, m registry.Manifest) error
	// Tags lists a repository's tags: whether a floating tag advanced.
	Tags(ctx context.Context, repo name.Repository) ([]string, error)
	// AttachmentsOf reads what is attached to each digest (--referrers).
	AttachmentsOf(ctx context.Context, ds []name.Digest, inline map[string]bool) (map[string]oci.Attached, error)
}

// Releases finds the release whose notes hold a ledger.
type Releases = load.Releases

// Options is one restore run. Exactly one of FromRelease, FromLedger and Pins
// is the source.
type Options struct {
	FromRelease string
	FromLedgers []string // ledger files; restore takes one
	Pins        []string
	Tags        []string // globs over tag names; empty means all
	// AllowBackward moves a floating tag back even when it has advanced
	// along its line since it was recorded (rolling latest back on purpose).
	AllowBackward bool
	// Referrers shows in the plan what is attached to each target digest.
	Referrers bool
	// Run is the run context (its Event names the repository of
	// FromRelease); its Gate, when on, requires every target digest to
	// pass before the first write.
	command.Run
	// UndoFile, when set, is where the undo ledger is written after an
	// apply: restore --from-ledger on it reverses the restore.
	UndoFile string
	Registry Registry
	GitHub   Releases
	// WriteGrace is how long writes in flight may take to finish after an
	// interrupt; default 30s.
	WriteGrace time.Duration
}

// target is one tag to point at one digest.
type target struct {
	tag        name.Tag
	digest     v1.Hash
	recordedIn string          // where a gathered ledger says the digest was recorded
	since      *semver.Version // a floating tag's version as the ledger recorded it
}

// Validate checks o with no I/O: the sources (ledgers, or pins), the
// globs, the pins' grammar, and what a release source needs. Every bad value is bad input
// (exit 2), before a request.
func Validate(o Options) error {
	ledgersGiven := o.FromRelease != "" || len(o.FromLedgers) > 0
	switch {
	case !ledgersGiven && len(o.Pins) == 0:
		return errkind.BadInputf("give a source: --from-release TAG, --from-ledger PATH (repeatable: a release of several images has a ledger each) or --pin REPO:TAG@sha256:…")
	case ledgersGiven && len(o.Pins) > 0:
		return errkind.BadInputf("give ledgers (--from-release, --from-ledger) or --pin, not both")
	}
	var bad []error
	for _, g := range o.Tags {
		if err := policy.ValidGlob(g); err != nil {
			bad = append(bad, fmt.Errorf("--tags: %v", err))
		}
	}
	for _, p := range o.Pins {
		if _, _, err := refs.ParsePin(p); err != nil {
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

// sources is where the ledger comes from, for the one loader.
func (o Options) sources() load.Sources {
	return load.Sources{Files: o.FromLedgers, Release: o.FromRelease, Repository: o.Event.Repository, GitHub: o.GitHub, ReadFile: o.ReadFile}
}

// CheckOutput looks where --undo-file would be written (its directory
// exists, it is none of the inputs), before the first request: kept out of
// Validate, which does no I/O.
func CheckOutput(o Options) error {
	return errkind.New(errkind.BadInput, files.CheckOutput("--undo-file", o.UndoFile, o.FromLedgers...))
}
