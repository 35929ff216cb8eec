// Package load is the one way tagguard loads "every ledger from these
// sources": ledger files, one release's notes, or every release of the
// repository. restore and audit both read their ledgers through it. Release
// notes are streamed a page at a time, so memory stays flat in the number
// of releases.
package load

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/files"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/report"
)

// Releases is the GitHub side: one release by tag, or all of them.
type Releases interface {
	FindRelease(ctx context.Context, owner, repo, tag string) (*githubapi.Release, error)
	EachRelease(ctx context.Context, owner, repo string, fn func(*githubapi.Release) error) error
	DownloadAsset(ctx context.Context, owner, repo string, id int64, limit int64) ([]byte, error)
}

// Sources names where the ledgers are.
type Sources struct {
	Files        []string // ledger files (record's --ledger-file, restore's undo)
	Release      string   // the tag of one release whose notes hold a ledger
	AllReleases  bool     // every release of Repository with a ledger section
	Repository   string   // OWNER/NAME, for the release sources
	GitHub       Releases // nil without a token
	ReadFile     func(string) ([]byte, error)
	SkipNoLedger bool // a single release without a ledger section is not an error
	// Now is the clock a ledger's date is judged by; time.Now when nil.
	Now func() time.Time
}

// skew is how far a ledger's clock may run ahead of ours, or of GitHub's.
const skew = 5 * time.Minute

// Loaded is one ledger and where it came from.
type Loaded struct {
	Ledger *ledger.Ledger
	From   string // "ledger file PATH" or "release TAG"
	// Date orders records of one ref: for a release, GitHub's own date of
	// it (published, else created), never text inside the notes anyone
	// with write access can edit; for a file, the ledger's created.
	Date time.Time
	// Suspect says why the ledger's own date cannot be believed: it lies
	// in the future, or after a release GitHub lists as newer. Such a
	// record never outranks another.
	Suspect string
	// Evidence is what the ledger was read from.
	Evidence Evidence
	// Tampered lists, for a release with both an asset and a notes
	// section, every way the two differ ("REF: the asset records …, the
	// notes …"); Ledger is then the asset's. Empty when they agree.
	Tampered []string
}

// Evidence is where a ledger was read from, and so who could have
// rewritten it.
type Evidence string

// The evidence levels, strongest first.
const (
	// Sealed is an immutable, published release's asset: nobody can
	// replace it.
	Sealed Evidence = "sealed"
	// AssetOnly is a mutable release's asset: replaceable by anyone with
	// write access, but apart from the notes.
	AssetOnly Evidence = "asset"
	// NotesOnly is a release's notes without an asset: editable by anyone
	// with write access, even on an immutable release.
	NotesOnly Evidence = "notes only"
	// File is a ledger file: as trustworthy as where it came from.
	File Evidence = "file"
)

// Problem is a release whose ledger section could not be read: reported,
// not fatal for the other releases.
type Problem struct {
	From   string `json:"from"`
	Reason string `json:"reason"`
}

// Count says how many sources were given: a command that takes exactly
// one checks it.
func (s Sources) Count() int {
	n := len(s.Files)
	if s.Release != "" {
		n++
	}
	if s.AllReleases {
		n++
	}
	return n
}

// Validate checks what can be checked before a request: the repository and
// the token when a release source is named.
func (s Sources) Validate() error {
	if s.Release == "" && !s.AllReleases {
		return nil
	}
	if p := refs.GitRefProblem(s.Release); p != "" {
		return errkind.BadInputf("--from-release %q %s", report.Clip(s.Release, 100), p)
	}
	what := "--from-releases"
	if s.Release != "" {
		what = "--from-release " + s.Release
	}
	owner, repo, ok := strings.Cut(s.Repository, "/")
	if !ok || owner == "" || repo == "" {
		return errkind.BadInputf("%s needs the repository: set GITHUB_REPOSITORY=owner/name", what)
	}
	if s.GitHub == nil {
		return errkind.BadInputf("%s needs a GitHub token: --github-token or GITHUB_TOKEN", what)
	}
	return nil
}

// Each hands every ledger of the sources to fn: files first, in order, then
// the release, then every release newest first. A file that cannot be read
// or parsed, and a named release without a ledger, are bad input; a broken
// section in one of all the releases is a Problem, and the walk goes on.
// The files and the named release are all read before fn sees the first
// of them: bad input among them stops the walk before fn starts any work.
func Each(ctx context.Context, s Sources, fn func(Loaded) error) ([]Problem, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	read := s.ReadFile
	if read == nil {
		read = func(path string) ([]byte, error) { return files.Read(ctx, path, files.MaxSize) }
	}
	now := s.Now
	if now == nil {
		now = time.Now
	}
	var first []Loaded
	for _, path := range s.Files {
		b, err := read(path)
		if err != nil {
			if ctx.Err() != nil {
				return nil, files.Alive(ctx)
			}
			return nil, errkind.BadInputf("reading ledger file %s: %v", path, err)
		}
		var l *ledger.Ledger
		err = files.Within(ctx, func() (err error) { l, err = ledger.Parse(b); return err })
		if ctx.Err() != nil {
			return nil, files.Alive(ctx)
		}
		if err != nil {
			return nil, errkind.BadInputf("ledger %s: %v", path, err)
		}
		got := Loaded{Ledger: l, From: "ledger file " + path, Date: l.Created, Evidence: File}
		got.Suspect = future(l, now())
		first = append(first, got)
	}
	owner, repo, _ := strings.Cut(s.Repository, "/")
	if s.Release != "" {
		rel, err := s.GitHub.FindRelease(ctx, owner, repo, s.Release)
		if errors.Is(err, githubapi.ErrReleaseNotFound) {
			return nil, errkind.BadInputf("%s/%s has no release %s", owner, repo, s.Release)
		}
		if err != nil {
			return nil, errkind.New(errkind.Remote, err)
		}
		got, found, err := ReadRelease(ctx, s.GitHub, owner, repo, rel)
		switch {
		case errkind.Of(err) == errkind.Remote:
			return nil, err
		case err != nil:
			return nil, errkind.BadInputf("the ledger of release %s: %v", s.Release, err)
		case !found && !s.SkipNoLedger:
			return nil, errkind.BadInputf("release %s holds no tagguard ledger, in its notes or as its asset %s (was tagguard record run for it?)", s.Release, ledger.AssetName)
		case found:
			got.Suspect = suspect(got.Ledger, rel, now())
			first = append(first, got)
		}
	}
	for _, got := range first {
		if err := fn(got); err != nil {
			return nil, err
		}
	}
	var problems []Problem
	if s.AllReleases {
		err := s.GitHub.EachRelease(ctx, owner, repo, func(rel *githubapi.Release) error {
			got, found, err := ReadRelease(ctx, s.GitHub, owner, repo, rel)
			switch {
			case err != nil && ctx.Err() != nil:
				return err
			case err != nil:
				// One release whose asset cannot be read (or is not a
				// ledger) leaves the audit incomplete, not the others
				// unaudited.
				problems = append(problems, Problem{From: "release " + rel.TagName, Reason: err.Error()})
				return nil
			case !found && (strings.Contains(rel.Body, "tagguard:ledger") || strings.Contains(rel.Body, "tagguard.ledger/")):
				// Both markers mangled, or the section half deleted: not a
				// release older than tagguard, and not to leave the audit.
				problems = append(problems, Problem{From: "release " + rel.TagName, Reason: "its notes hold what is left of a tagguard ledger section, but no readable section: restore it, or re-record the release"})
				return nil
			case !found:
				return nil
			}
			got.Suspect = suspect(got.Ledger, rel, now())
			return fn(got)
		})
		if err != nil {
			return problems, errkind.New(errkind.Remote, fmt.Errorf("reading every release's ledger: %w", err))
		}
	}
	return problems, nil
}

// future says why a ledger dated ahead of now cannot be believed.
func future(l *ledger.Ledger, now time.Time) string {
	if l.Created.After(now.Add(skew)) {
		return fmt.Sprintf("its ledger says it was recorded at %s, which is in the future", l.Created.UTC().Format(time.RFC3339))
	}
	return ""
}

// suspect says why a release's ledger's own date cannot be believed: in
// the future, or before the release itself was created (GitHub dates a
// release from its commit; nothing is recorded before it is built). A
// ledger dated after its release is the rule, not a sign: record runs
// after publishing in a release-triggered workflow.
func suspect(l *ledger.Ledger, rel *githubapi.Release, now time.Time) string {
	if f := future(l, now); f != "" {
		return f
	}
	if !rel.CreatedAt.IsZero() && !l.Created.IsZero() && l.Created.Before(rel.CreatedAt.Add(-skew)) {
		return fmt.Sprintf("its ledger says it was recorded at %s, before the release itself was created (%s)", l.Created.UTC().Format(time.RFC3339), rel.CreatedAt.UTC().Format(time.RFC3339))
	}
	return ""
}
