package githubapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/report"
)

// Release is a GitHub release, reduced to what tagguard reads and writes.
type Release struct {
	ID      int64
	TagName string
	Name    string
	Body    string
	Draft   bool
	HTMLURL string
	// CreatedAt and PublishedAt are GitHub's own dates; PublishedAt is zero
	// for a draft.
	CreatedAt   time.Time
	PublishedAt time.Time
	// Immutable is GitHub's immutable-release flag: once published, the
	// release's assets and tag are locked (its notes are not).
	Immutable bool
	// UploadURL is where assets are uploaded (upload_url, its template
	// part removed).
	UploadURL string
	// Assets are the release's assets as the release lists them.
	Assets []Asset
}

// Sealed reports whether the release's assets can no longer change: an
// immutable release, published.
func (r *Release) Sealed() bool { return r.Immutable && !r.Draft }

// Asset finds the release's asset of that name.
func (r *Release) Asset(name string) (Asset, bool) {
	for _, a := range r.Assets {
		if a.Name == name {
			return a, true
		}
	}
	return Asset{}, false
}

// Date is when GitHub says the release happened: published, else (a
// draft) created. It is what orders releases, never text in the notes.
func (r *Release) Date() time.Time {
	if !r.PublishedAt.IsZero() {
		return r.PublishedAt
	}
	return r.CreatedAt
}

// releaseJSON is a release as GitHub sends it: go-github v60 predates the
// immutable field, so it is read beside go-github's type.
type releaseJSON struct {
	github.RepositoryRelease
	Immutable bool `json:"immutable"`
}

func (r *releaseJSON) release() *Release {
	out := fromGitHub(&r.RepositoryRelease)
	out.Immutable = r.Immutable
	out.UploadURL, _, _ = strings.Cut(r.GetUploadURL(), "{")
	for _, a := range r.RepositoryRelease.Assets {
		out.Assets = append(out.Assets, Asset{ID: a.GetID(), Name: a.GetName(), Size: a.GetSize()})
	}
	return out
}

// releaseCall sends a request whose answer is one release, decoded with
// its immutable flag.
func (c *Client) releaseCall(ctx context.Context, method, path string, body any) (*Release, error) {
	req, err := c.gh.NewRequest(method, path, body)
	if err != nil {
		return nil, err
	}
	var rel releaseJSON
	if _, err := c.gh.Do(ctx, req, &rel); err != nil {
		return nil, err
	}
	return rel.release(), nil
}

func fromGitHub(r *github.RepositoryRelease) *Release {
	return &Release{
		ID:      r.GetID(),
		TagName: r.GetTagName(),
		Name:    r.GetName(),
		Body:    r.GetBody(),
		Draft:   r.GetDraft(),
		HTMLURL: r.GetHTMLURL(),

		CreatedAt:   r.GetCreatedAt().Time,
		PublishedAt: r.GetPublishedAt().Time,
	}
}

// FindRelease returns the release of owner/repo with the tag, draft or
// published. GitHub's lookup by tag answers 404 for drafts, so a 404 is
// followed by a walk through every page of the release list. An error
// matching ErrReleaseNotFound means neither found one.
func (c *Client) FindRelease(ctx context.Context, owner, repo, tag string) (*Release, error) {
	if err := checkRepo(owner, repo); err != nil {
		return nil, err
	}
	if tag == "" {
		return nil, errkind.BadInputf("finding release in %s/%s: no tag given", owner, repo)
	}
	// go-github puts the tag into the path as it is; escape it so a tag
	// such as release/v1 or one with '#' or '?' still names one path segment.
	rel, err := c.releaseCall(ctx, http.MethodGet, fmt.Sprintf("repos/%s/%s/releases/tags/%s", owner, repo, url.PathEscape(tag)), nil)
	if err == nil {
		return rel, nil
	}
	if StatusCode(err) != http.StatusNotFound {
		return nil, c.fail(err, nil, "finding release %s in %s/%s", tag, owner, repo)
	}

	var found *Release
	err = c.EachRelease(ctx, owner, repo, func(r *Release) error {
		if r.TagName == tag {
			found = r
			return errStop
		}
		return nil
	})
	switch {
	case found != nil:
		return found, nil
	case err != nil:
		return nil, fmt.Errorf("finding release %s in %s/%s: %w", tag, owner, repo, err)
	}
	return nil, fmt.Errorf("finding release %s in %s/%s: %w: no published or draft release has this tag", tag, owner, repo, ErrReleaseNotFound)
}

// EditReleaseBody replaces the body (release notes) of release id and
// returns the release as GitHub now holds it. Title and notes stay editable
// on immutable releases, so this works after publishing too.
func (c *Client) EditReleaseBody(ctx context.Context, owner, repo string, id int64, body string) (*Release, error) {
	if err := checkRepo(owner, repo); err != nil {
		return nil, err
	}
	rel, err := c.releaseCall(ctx, http.MethodPatch, fmt.Sprintf("repos/%s/%s/releases/%d", owner, repo, id), &github.RepositoryRelease{Body: &body})
	if err != nil {
		var kind error
		if StatusCode(err) == http.StatusNotFound {
			kind = ErrReleaseNotFound
		}
		return nil, c.fail(err, kind, "editing the notes of release %d in %s/%s", id, owner, repo)
	}
	return rel, nil
}

// CreateDraftRelease creates a draft release for tag with body as its
// notes. An error matching ErrReleaseExists means the tag has a release.
//
// The transport does not retry a POST after a 5xx, because GitHub may have
// created the release anyway. This method looks first, then tries once
// more only if nothing was created, so a hiccup never leaves two drafts.
func (c *Client) CreateDraftRelease(ctx context.Context, owner, repo, tag, body string) (*Release, error) {
	if err := checkRepo(owner, repo); err != nil {
		return nil, err
	}
	if tag == "" {
		return nil, errkind.BadInputf("creating draft release in %s/%s: no tag given", owner, repo)
	}
	want := &github.RepositoryRelease{TagName: &tag, Body: &body, Draft: github.Bool(true)}
	for attempt := 1; ; attempt++ {
		rel, err := c.releaseCall(ctx, http.MethodPost, fmt.Sprintf("repos/%s/%s/releases", owner, repo), want)
		if err == nil {
			return rel, nil
		}
		if alreadyExists(err) {
			return nil, c.fail(err, ErrReleaseExists, "creating draft release %s in %s/%s", tag, owner, repo)
		}
		if StatusCode(err) < 500 || attempt > 1 {
			return nil, c.fail(err, nil, "creating draft release %s in %s/%s", tag, owner, repo)
		}
		found, ferr := c.FindRelease(ctx, owner, repo, tag)
		switch {
		case ferr == nil && found.Draft && found.Body == body:
			return found, nil // the failed request did create it
		case ferr == nil:
			return nil, c.fail(err, ErrReleaseExists, "creating draft release %s in %s/%s", tag, owner, repo)
		case !errors.Is(ferr, ErrReleaseNotFound):
			return nil, c.fail(err, nil, "creating draft release %s in %s/%s (and checking whether it was created anyway failed too: %v)", tag, owner, repo, ferr)
		}
		if serr := c.retry.Sleep(ctx, c.retry.policy().Backoff(attempt)); serr != nil {
			return nil, c.fail(err, nil, "creating draft release %s in %s/%s", tag, owner, repo)
		}
	}
}

// errStop ends an EachRelease walk early without an error.
var errStop = errors.New("stop")

// maxReleasePages bounds a walk through the release list: 100 releases a
// page, a million releases.
const maxReleasePages = 10000

// EachRelease hands every release of owner/repo to fn, newest first, drafts
// included when the token may see them, a page (100) at a time: memory
// stays flat in the number of releases. Pagination that loops (a next page
// already read, or one that does not advance) is an error that says so. An
// error from fn ends the walk and is returned.
func (c *Client) EachRelease(ctx context.Context, owner, repo string, fn func(*Release) error) error {
	if err := checkRepo(owner, repo); err != nil {
		return err
	}
	opts := &github.ListOptions{PerPage: 100}
	seen := map[int]bool{}
	for page := 1; ; page++ {
		current := max(opts.Page, 1)
		seen[current] = true
		path := fmt.Sprintf("repos/%s/%s/releases?per_page=%d", owner, repo, opts.PerPage)
		if current > 1 {
			path += fmt.Sprintf("&page=%d", current)
		}
		req, err := c.gh.NewRequest(http.MethodGet, path, nil)
		if err != nil {
			return err
		}
		var rels []*releaseJSON
		resp, err := c.gh.Do(ctx, req, &rels)
		if err != nil {
			return c.fail(err, nil, "listing releases of %s/%s (page %d)", owner, repo, current)
		}
		for _, r := range rels {
			if err := fn(r.release()); errors.Is(err, errStop) {
				return nil
			} else if err != nil {
				return err
			}
		}
		switch {
		case resp.NextPage == 0 && (resp.After != "" || resp.Cursor != "" || resp.NextPageToken != "" || strings.Contains(resp.Header.Get("Link"), `rel="next"`)):
			// A next page tagguard cannot follow is never the end of the
			// list: a release left unread is a release left unaudited.
			return errkind.Remotef("listing releases of %s/%s: page %d names a next page by cursor (%s), which tagguard cannot follow: refused rather than stop early", owner, repo, current, report.Clip(resp.Header.Get("Link"), 300))
		case resp.NextPage == 0:
			return nil
		case seen[resp.NextPage] || resp.NextPage <= current:
			return errkind.Remotef("listing releases of %s/%s: GitHub's pagination loops: page %d names page %d as next, which was already read", owner, repo, current, resp.NextPage)
		case page >= maxReleasePages:
			return errkind.Remotef("listing releases of %s/%s: the release list did not end after %d pages", owner, repo, maxReleasePages)
		}
		opts.Page = resp.NextPage
	}
}
