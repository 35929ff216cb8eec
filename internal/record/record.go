// Package record runs after a publish: it reads the digest behind every
// pushed tag from the registry, refuses when a tag no longer points where the
// build said it pushed, and keeps the record as action outputs, a ledger file
// and a section of the GitHub release notes, where restore finds it later.
package record

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// Registry is what record reads from a registry.
type Registry interface {
	ParseTags(list []string) ([]name.Tag, []error)
	Resolve(ctx context.Context, ref name.Reference) (registry.Descriptor, error)
	Manifest(ctx context.Context, ref name.Reference) (registry.Manifest, error)
}

// Releases is the GitHub side: find a release, rewrite its notes, or create
// a draft.
type Releases interface {
	FindRelease(ctx context.Context, owner, repo, tag string) (*githubapi.Release, error)
	EditReleaseBody(ctx context.Context, owner, repo string, id int64, body string) (*githubapi.Release, error)
	CreateDraftRelease(ctx context.Context, owner, repo, tag, body string) (*githubapi.Release, error)
}

// Options is one record run.
type Options struct {
	Images        []string // the refs pushed; default: image.name of Metadata
	Digest        string   // the digest the build pushed, optional
	Metadata      string   // docker/build-push-action's metadata output (JSON), optional
	ReleaseTag    string   // the release to annotate; default: the tag of GITHUB_REF
	LedgerFile    string   // where to write the ledger, optional
	CreateRelease bool     // create a draft release when none exists
	DryRun        bool     // read and plan, write nothing
	Event         event.Context
	Jobs          int
	Registry      Registry
	GitHub        Releases // nil when no token: release notes cannot be written
	Now           func() time.Time
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

func validate(o Options) (input, error) {
	var in input
	var bad []error
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
	refs, badRefs := o.Registry.ParseTags(images)
	in.refs, bad = refs, append(bad, badRefs...)
	digests := map[string]string{}
	if o.Digest != "" {
		digests["--digest"] = o.Digest
	}
	if md.Digest != "" {
		digests["containerimage.digest of --metadata"] = md.Digest
	}
	for from, s := range digests {
		d, err := registry.ParseDigest(s)
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
	if o.LedgerFile != "" {
		// Checked before any request, so a typo costs nothing and touches nothing.
		if fi, err := os.Stat(filepath.Dir(o.LedgerFile)); err != nil || !fi.IsDir() {
			bad = append(bad, fmt.Errorf("--ledger-file %s: its directory does not exist", o.LedgerFile))
		} else if fi, err := os.Stat(o.LedgerFile); err == nil && fi.IsDir() {
			bad = append(bad, fmt.Errorf("--ledger-file %s is a directory", o.LedgerFile))
		}
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

// Run records every ref. Tags that resolve elsewhere than the build pushed
// block (exit 1) and nothing is written; otherwise the ledger file is written
// first, then the release notes, and the report says which writes happened.
func Run(ctx context.Context, o Options) (*Report, error) {
	in, err := validate(o)
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Report{Command: "record", Source: cmp.Or(o.Source, in.source), DryRun: o.DryRun}
	if in.want != nil {
		r.Expected = in.want.String()
	}
	entries, readErr := resolve(ctx, o, in)
	r.Images = entries
	if readErr != nil {
		r.finish()
		return r, errkind.New(errkind.Remote, readErr)
	}
	src, notes := sourceOf(o.Event)
	r.Notes = append(r.Notes, notes...)
	l := buildLedger(o, src, entries)
	if err := r.setOutputs(l); err != nil {
		return r, errkind.New(errkind.BadInput, fmt.Errorf("building the ledger: %w", err))
	}
	if r.finish(); r.Blocked {
		return r, nil
	}
	if o.LedgerFile != "" {
		r.LedgerFile = &FileResult{Path: o.LedgerFile}
		if o.DryRun {
			r.LedgerFile.Action = "would write (dry run)"
		} else if err := o.writeFile(o.LedgerFile, []byte(r.Outputs.Ledger+"\n")); err != nil {
			r.LedgerFile.Action = "failed: " + err.Error()
			return r, errkind.New(errkind.BadInput, fmt.Errorf("writing ledger file %s: %w", o.LedgerFile, err))
		} else {
			r.LedgerFile.Action = "written"
		}
	}
	switch {
	case in.noToken != "":
		r.Release = &ReleaseResult{Tag: in.noToken, Action: "skipped: no GitHub token (--github-token or GITHUB_TOKEN), so the release notes were not written"}
		return r, nil
	case in.releaseTag == "":
		r.Release = &ReleaseResult{Action: "skipped: no --release-tag and the run was not started by a tag"}
		return r, nil
	}
	r.Release = &ReleaseResult{Tag: in.releaseTag}
	if err := annotate(ctx, o, in, l, r.Release); err != nil {
		return r, err
	}
	return r, nil
}

func (o Options) writeFile(path string, data []byte) error {
	if o.WriteFile != nil {
		return o.WriteFile(path, data)
	}
	return writeFileAtomic(path, data)
}

// resolve reads each ref's digest (HEAD) and, for an index, its platforms
// (one GET per distinct index digest).
func resolve(ctx context.Context, o Options, in input) ([]Entry, error) {
	entries := make([]Entry, len(in.refs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(o.Jobs, 1))
	platforms := &platformCache{m: map[string]*platformResult{}}
	for i, t := range in.refs {
		entries[i] = Entry{Ref: t.String()}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			e := &entries[i]
			d, err := o.Registry.Resolve(ctx, t)
			switch {
			case errors.Is(err, registry.ErrNotFound):
				e.Verdict, e.Reason = Missing, "not in the registry: the push did not land, or the tag was removed"
				return
			case err != nil:
				e.Verdict, e.Reason, e.err = Error, report.OneLine(err.Error()), err
				return
			}
			e.Digest, e.MediaType = d.Digest.String(), string(d.MediaType)
			if in.want != nil && d.Digest != *in.want {
				e.Verdict = Moved
				e.Reason = fmt.Sprintf("points at %s, not at %s that the build pushed: the tag was overwritten after the push (a race, or a false success)", d.Digest, in.want)
				e.Fix = fmt.Sprintf("find out what pushed %s; to put the build back: tagguard restore --pin %s@%s", d.Digest, t, in.want)
				return
			}
			if d.MediaType.IsIndex() {
				ps, err := platforms.get(ctx, o.Registry, t.Context().Digest(d.Digest.String()))
				if err != nil {
					e.Verdict, e.Reason, e.err = Error, report.OneLine(err.Error()), err
					return
				}
				e.Platforms = ps
			}
			e.Verdict = Recorded
		})
	}
	wg.Wait()
	var errs []error
	for _, e := range entries {
		if e.err != nil {
			errs = append(errs, e.err)
		}
	}
	return entries, errors.Join(errs...)
}

// platformCache reads each index once however many tags point at it.
type platformCache struct {
	mu sync.Mutex
	m  map[string]*platformResult
}

type platformResult struct {
	once sync.Once
	ps   []ledger.Platform
	err  error
}

func (c *platformCache) get(ctx context.Context, reg Registry, ref name.Digest) ([]ledger.Platform, error) {
	c.mu.Lock()
	res, ok := c.m[ref.String()]
	if !ok {
		res = &platformResult{}
		c.m[ref.String()] = res
	}
	c.mu.Unlock()
	res.once.Do(func() { res.ps, res.err = readPlatforms(ctx, reg, ref) })
	return res.ps, res.err
}

func readPlatforms(ctx context.Context, reg Registry, ref name.Digest) ([]ledger.Platform, error) {
	m, err := reg.Manifest(ctx, ref)
	if err != nil {
		return nil, err
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(m.Raw))
	if err != nil {
		return nil, errkind.New(errkind.Remote, fmt.Errorf("reading index %s: %w", ref, err))
	}
	var out []ledger.Platform
	for _, d := range idx.Manifests {
		// buildx adds attestation manifests as unknown/unknown entries:
		// they are not platforms anyone runs.
		if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" || d.Platform == nil {
			continue
		}
		out = append(out, ledger.Platform{Platform: d.Platform.String(), Digest: d.Digest.String()})
	}
	return out, nil
}

// sourceOf takes the run context for the ledger's source, leaving out (and
// saying so) any value that would not validate: a local run or another CI
// may set GITHUB_* variables GitHub never would, and the ledger must still
// be written.
func sourceOf(ev event.Context) (ledger.Source, []string) {
	var src ledger.Source
	var notes []string
	for _, f := range []struct {
		env   string
		value string
		field *string
	}{
		{"GITHUB_REPOSITORY", ev.Repository, &src.Repository},
		{"GITHUB_SHA", ev.SHA, &src.SHA},
		{"GITHUB_REF", ev.Ref, &src.Ref},
		{"the run URL (GITHUB_SERVER_URL, GITHUB_RUN_ID)", ev.RunURL, &src.Run},
	} {
		if f.value == "" {
			continue
		}
		*f.field = f.value
		if err := (&ledger.Ledger{Schema: ledger.Schema, Source: src}).Validate(); err != nil {
			*f.field = ""
			notes = append(notes, fmt.Sprintf("%s %q left out of the ledger's source: not a value GitHub sets", f.env, f.value))
		}
	}
	return src, notes
}

func buildLedger(o Options, src ledger.Source, entries []Entry) *ledger.Ledger {
	l := &ledger.Ledger{
		Schema:  ledger.Schema,
		Created: o.Now().UTC().Truncate(time.Second),
		Source:  src,
	}
	for _, e := range entries {
		if e.Verdict == Recorded {
			l.Images = append(l.Images, ledger.Image{Ref: e.Ref, Digest: e.Digest, MediaType: e.MediaType, Platforms: e.Platforms})
		}
	}
	return l
}
