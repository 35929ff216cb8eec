package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// Registry is what record reads from a registry.
type Registry interface {
	Resolve(ctx context.Context, ref name.Reference) (registry.Descriptor, error)
	Manifest(ctx context.Context, ref name.Reference) (registry.Manifest, error)
	// AttachmentsOf reads what is attached to each digest (--referrers).
	AttachmentsOf(ctx context.Context, ds []name.Digest, inline map[string]bool) (map[string]oci.Attached, error)
}

// Releases is the GitHub side: find a release, rewrite its notes, or create
// a draft.
type Releases interface {
	FindRelease(ctx context.Context, owner, repo, tag string) (*githubapi.Release, error)
	EditReleaseBody(ctx context.Context, owner, repo string, id int64, body string) (*githubapi.Release, error)
	CreateDraftRelease(ctx context.Context, owner, repo, tag, body string) (*githubapi.Release, error)
	UploadAsset(ctx context.Context, owner, repo string, rel *githubapi.Release, name string, data []byte) (githubapi.Asset, error)
	DownloadAsset(ctx context.Context, owner, repo string, id int64, limit int64) ([]byte, error)
	DeleteAsset(ctx context.Context, owner, repo string, id int64) error
	RenameAsset(ctx context.Context, owner, repo string, id int64, name string) error
}

// ReleaseOptions are where a record goes besides the outputs, shared with
// promote: one group, filled from the option table's rows once.
type ReleaseOptions struct {
	ReleaseTag    string // the release to annotate; default: the tag of GITHUB_REF
	LedgerFile    string // where to write the ledger, optional
	CreateRelease bool   // create a draft release when none exists
}

// Options is one record run.
type Options struct {
	Images   []string // the refs pushed; default: image.name of Metadata
	Digest   string   // the digest the build pushed, optional
	Metadata string   // docker/build-push-action's metadata output (JSON), optional
	// Referrers reads what is attached to each digest into the report and
	// the ledger.
	Referrers bool
	ReleaseOptions
	command.Run // record runs no signature gate
	Registry    Registry
	GitHub      Releases // nil when no token: release notes cannot be written
	// Source notes where the image list came from when it was not --images.
	Source string
	// WriteFile writes the ledger file; tests and the action may swap it.
	WriteFile func(path string, data []byte) error
}

type input struct {
	refs       []name.Tag
	want       *v1.Hash
	releaseTag string
	owner      string
	repo       string
	source     string // where the image list came from, when not --images
	noToken    string // the run's tag, whose release was skipped for want of a token
}

// metadata is the part of build-push-action's metadata output record uses.
type metadata struct {
	Digest string `json:"containerimage.digest"`
	Names  string `json:"image.name"`
}

// Validate checks o as NewPlan would, without a request: promote checks
// its record options before it writes a tag.
func Validate(o Options) error {
	_, err := validate(o)
	return err
}

func validate(o Options) (input, error) {
	var in input
	var bad []error
	if p := refs.GitRefProblem(o.ReleaseTag); p != "" {
		bad = append(bad, fmt.Errorf("--release-tag %q %s", report.Clip(o.ReleaseTag, 100), p))
	}
	images := o.Images
	var md metadata
	if strings.TrimSpace(o.Metadata) != "" {
		if err := json.Unmarshal([]byte(o.Metadata), &md); err != nil {
			bad = append(bad, fmt.Errorf("--metadata is not the JSON of build-push-action's metadata output: %v", err))
		}
	}
	if len(images) == 0 && md.Names != "" {
		images = strings.Split(md.Names, ",")
		in.source = "image.name of --metadata"
	}
	if len(images) == 0 && len(bad) == 0 {
		bad = append(bad, errors.New("no images to record: give --images (the refs pushed), or --metadata with an image.name"))
	}
	parsed, badRefs := refs.ParseTags(images)
	in.refs, bad = parsed, append(bad, badRefs...)
	digests := map[string]string{}
	if o.Digest != "" {
		digests["--digest"] = o.Digest
	}
	if md.Digest != "" {
		digests["containerimage.digest of --metadata"] = md.Digest
	}
	for from, s := range digests {
		d, err := refs.ParseDigest(s)
		if err != nil {
			bad = append(bad, fmt.Errorf("%s: %w", from, err))
			continue
		}
		if in.want != nil && *in.want != d {
			bad = append(bad, fmt.Errorf("--digest %s and the digest in --metadata %s disagree", o.Digest, md.Digest))
			continue
		}
		in.want = &d
	}
	in.releaseTag = o.ReleaseTag
	if in.releaseTag == "" {
		// The tag that started the run is only a default: without a token
		// the record still lands in the outputs and the ledger file.
		if tag, ok := o.Event.Tag(); ok && o.GitHub != nil {
			in.releaseTag = tag
		} else if ok {
			in.noToken = tag
		}
	}
	if in.releaseTag != "" {
		owner, repo, ok := strings.Cut(o.Event.Repository, "/")
		switch {
		case !ok || owner == "" || repo == "":
			bad = append(bad, fmt.Errorf("writing release notes to %s needs the repository: set GITHUB_REPOSITORY=owner/name", in.releaseTag))
		case o.GitHub == nil:
			bad = append(bad, fmt.Errorf("writing release notes to %s needs a GitHub token: --github-token or GITHUB_TOKEN", in.releaseTag))
		}
		in.owner, in.repo = owner, repo
	}
	if len(bad) > 0 {
		return in, errkind.New(errkind.BadInput, errors.Join(bad...))
	}
	return in, nil
}

// CheckOutput looks where --ledger-file would be written (its directory
// exists), before the first request, so a typo costs nothing and touches
// nothing: kept out of Validate, which does no I/O. promote calls it
// before it writes a tag.
func CheckOutput(o Options) error {
	return errkind.New(errkind.BadInput, files.CheckOutput("--ledger-file", o.LedgerFile))
}
