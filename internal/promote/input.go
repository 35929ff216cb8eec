// Package promote is the guarded publish for push-by-digest builds: the
// build pushed untagged manifests, and promote is the one step that writes
// tags. It proves every source present and whole, publishes one source as
// its exact bytes or several as one deterministic image index, judges the
// tags with check's guards against the digest being published, writes each
// tag (HEADing an immutable tag again right before its PUT), reads every
// tag back, and records what it read as record does.
package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// Registry is what promote reads and writes.
type Registry interface {
	check.Registry
	Manifest(ctx context.Context, ref name.Reference) (registry.Manifest, error)
	Put(ctx context.Context, tag name.Tag, m registry.Manifest) error
	// Platform reads an image manifest's config for its platform.
	Platform(ctx context.Context, repo name.Repository, m registry.Manifest) (*v1.Platform, error)
	// Copy makes src and everything it names present in dst by digest.
	Copy(ctx context.Context, src name.Digest, dst name.Repository) (registry.CopyStats, error)
	// PutManifest puts m into repo by its digest, exact bytes, no tag.
	PutManifest(ctx context.Context, repo name.Repository, m registry.Manifest) error
	// AttachmentsOf reads what is attached to each digest (--referrers).
	AttachmentsOf(ctx context.Context, ds []name.Digest, inline map[string]bool) (map[string]oci.Attached, error)
	// CopyAttached carries a digest's attachments to dst (--referrers).
	CopyAttached(ctx context.Context, a oci.Attached, dst name.Repository) (wrote int, gone []string, err error)
}

// Options is one promote run.
type Options struct {
	Sources []string // REPO@sha256:… the build pushed
	Images  []string // the tags to write, REPO:TAG

	// check's guard options, judged against the digest being published,
	// and record's, for what was written: the same groups those commands
	// embed.
	check.Guards
	record.ReleaseOptions
	// Referrers reads what is attached to the sources and to what is
	// published, and carries it along a copy to another registry.
	Referrers bool
	// Run is the run context; its Gate, when on, requires every source to
	// pass before anything is written.
	command.Run
	GitHub record.Releases // nil without a token

	Registry   Registry
	Source     string // where the image list came from, when not --images
	WriteGrace time.Duration
}

// input is o validated: every source and target parsed before a request.
type input struct {
	sources []name.Digest
	targets []name.Tag
}

// Validate checks o with no I/O: every source and target parsed, check's
// guard options and record's options checked; every bad value is bad input
// (exit 2), before a request.
func Validate(o Options) error {
	_, err := validate(o)
	return err
}

func validate(o Options) (input, error) {
	var in input
	var bad []error
	if len(o.Sources) == 0 {
		bad = append(bad, errors.New("no sources to promote: give --sources (REPO@sha256:…, the digests the build pushed)"))
	}
	seen := map[string]bool{}
	for _, s := range o.Sources {
		d, err := parseSource(s)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		if !seen[d.Name()] {
			seen[d.Name()] = true
			in.sources = append(in.sources, d)
		}
	}
	if len(o.Images) == 0 {
		bad = append(bad, errors.New("no tags to write: give --images (REPO:TAG, comma- or newline-separated)"))
	}
	targets, badRefs := refs.ParseTags(o.Images)
	in.targets, bad = targets, append(bad, badRefs...)
	// record's options are checked now: after the tags are written it is
	// too late to find a release tag without a token.
	// check's guard options are checked now too: a bad glob found after
	// the sources were read would cost requests and say "could not read".
	if len(bad) == 0 {
		if err := check.Validate(o.checkOptions("")); err != nil {
			bad = append(bad, errors.Unwrap(err))
		} else if err := record.Validate(o.recordOptions(nil)); err != nil {
			bad = append(bad, errors.Unwrap(err))
		}
	}
	if len(bad) > 0 {
		return in, errkind.New(errkind.BadInput, errors.Join(bad...))
	}
	return in, nil
}

// parseSource parses REPO@sha256:<64 hex> strictly: a digest reference,
// never a tag.
func parseSource(s string) (name.Digest, error) {
	s = strings.TrimSpace(s)
	repo, dig, ok := strings.Cut(s, "@")
	if !ok || strings.Contains(repo[strings.LastIndex(repo, "/")+1:], ":") {
		return name.Digest{}, fmt.Errorf("source %q: expected REPO@sha256:<digest> (the digest the build pushed, no tag)", s)
	}
	if p := refs.RepositoryProblem(repo); p != "" {
		return name.Digest{}, fmt.Errorf("source %q %s", report.Clip(s, 200), p)
	}
	h, err := refs.ParseDigest(dig)
	if err != nil {
		return name.Digest{}, fmt.Errorf("source %q: %w", report.Clip(s, 200), err)
	}
	r, err := name.NewRepository(repo, name.StrictValidation)
	if err != nil {
		return name.Digest{}, fmt.Errorf("source %q: %v", s, err)
	}
	return r.Digest(h.String()), nil
}

// withoutGate is the run context for the guards and the record promote
// runs: the sources passed the gate already, and what they check or
// record is that same digest.
func (o Options) withoutGate() command.Run {
	r := o.Run
	r.Gate = nil
	return r
}

// checkOptions judges the targets with check's guards against digest.
func (o Options) checkOptions(digest string) check.Options {
	return check.Options{
		Images:   o.Images,
		Digest:   digest,
		Guards:   o.Guards,
		Run:      o.withoutGate(),
		Registry: o.Registry,
		Source:   o.Source,
		Promote:  true,
	}
}

// recordOptions records the written tags as record would; images nil means
// every target (for validation).
func (o Options) recordOptions(images []string) record.Options {
	if images == nil {
		images = o.Images
	}
	return record.Options{
		Images:         images,
		ReleaseOptions: o.ReleaseOptions,
		Referrers:      o.Referrers,
		Run:            o.withoutGate(),
		Registry:       o.Registry,
		GitHub:         o.GitHub,
		Source:         o.Source,
	}
}
