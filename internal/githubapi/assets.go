package githubapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/refs"
)

// Asset is a release asset, reduced to what tagguard reads.
type Asset struct {
	ID   int64
	Name string
	Size int
}

// ErrRefused is GitHub's 422 on a change to a release's assets that is
// not a name already taken. An immutable release that is published
// answers so (its assets are locked for good), and so does any other
// change GitHub finds invalid: the caller tells the two apart by reading
// the release (Release.Sealed), never by the answer's wording.
var ErrRefused = errors.New("GitHub refused the change (422)")

// ErrAssetExists is GitHub refusing an upload under a name the release
// has: another writer uploaded it first.
var ErrAssetExists = errors.New("the release has an asset of that name already")

// UploadAsset uploads data as the asset name of rel, through the release's
// upload_url. GitHub refuses a name the release has already (delete it
// first) and any upload to a sealed release (ErrRefused).
//
// A POST is not retried after a 5xx, since GitHub may have stored it: the
// asset list is read instead, and an asset of that name holding exactly
// these bytes is taken as this upload (another writer's asset of the
// same name and size is not).
func (c *Client) UploadAsset(ctx context.Context, owner, repo string, rel *Release, name string, data []byte) (Asset, error) {
	if err := checkRepo(owner, repo); err != nil {
		return Asset{}, err
	}
	u, err := url.Parse(rel.UploadURL)
	if !usable(u, err) {
		return Asset{}, errkind.Remotef("uploading %s to release %s: GitHub named no usable upload URL (%q)", name, rel.TagName, rel.UploadURL)
	}
	u.RawQuery = url.Values{"name": {name}}.Encode()
	req, err := c.gh.NewUploadRequest(u.String(), bytes.NewReader(data), int64(len(data)), "application/json")
	if err != nil {
		return Asset{}, err
	}
	var got github.ReleaseAsset
	_, err = c.gh.Do(ctx, req, &got)
	switch {
	case err == nil:
		return Asset{ID: got.GetID(), Name: got.GetName(), Size: got.GetSize()}, nil
	case StatusCode(err) == http.StatusUnprocessableEntity && alreadyExists(err):
		return Asset{}, c.fail(err, ErrAssetExists, "uploading %s to release %s of %s/%s", name, rel.TagName, owner, repo)
	case StatusCode(err) == http.StatusUnprocessableEntity:
		return Asset{}, c.fail(err, ErrRefused, "uploading %s to release %s of %s/%s", name, rel.TagName, owner, repo)
	case StatusCode(err) >= 500 || StatusCode(err) == 0:
		if a, ok := c.stored(ctx, owner, repo, rel.ID, name, data); ok {
			return a, nil // the failed request did store it
		}
	}
	return Asset{}, c.fail(err, nil, "uploading %s to release %s of %s/%s", name, rel.TagName, owner, repo)
}

// stored finds the asset name of release id if it holds exactly data:
// an upload GitHub stored before it failed to answer.
func (c *Client) stored(ctx context.Context, owner, repo string, id int64, name string, data []byte) (Asset, bool) {
	assets, err := c.ReleaseAssets(ctx, owner, repo, id)
	if err != nil {
		return Asset{}, false
	}
	for _, a := range assets {
		if a.Name != name || a.Size != len(data) {
			continue
		}
		got, err := c.DownloadAsset(ctx, owner, repo, a.ID, int64(len(data)))
		return a, err == nil && bytes.Equal(got, data)
	}
	return Asset{}, false
}

// maxAssetPages bounds the walk through a release's assets.
const maxAssetPages = 100

// ReleaseAssets lists every asset of release id, all pages.
func (c *Client) ReleaseAssets(ctx context.Context, owner, repo string, id int64) ([]Asset, error) {
	if err := checkRepo(owner, repo); err != nil {
		return nil, err
	}
	var out []Asset
	opts := &github.ListOptions{PerPage: 100}
	for page := 1; ; page++ {
		assets, resp, err := c.gh.Repositories.ListReleaseAssets(ctx, owner, repo, id, opts)
		if err != nil {
			return nil, c.fail(err, nil, "listing the assets of release %d in %s/%s", id, owner, repo)
		}
		for _, a := range assets {
			out = append(out, Asset{ID: a.GetID(), Name: a.GetName(), Size: a.GetSize()})
		}
		switch {
		case resp.NextPage == 0:
			return out, nil
		case resp.NextPage <= max(opts.Page, 1) || page >= maxAssetPages:
			return nil, errkind.Remotef("listing the assets of release %d in %s/%s: the pages do not advance or do not end", id, owner, repo)
		}
		opts.Page = resp.NextPage
	}
}

// RenameAsset gives the asset another name: how a replacement is put in
// place after it was uploaded whole under a temporary name. GitHub
// refuses a name the release has (ErrAssetExists) and any change to a
// sealed release (ErrRefused).
func (c *Client) RenameAsset(ctx context.Context, owner, repo string, id int64, name string) error {
	if err := checkRepo(owner, repo); err != nil {
		return err
	}
	_, _, err := c.gh.Repositories.EditReleaseAsset(ctx, owner, repo, id, &github.ReleaseAsset{Name: &name})
	switch {
	case err == nil:
		return nil
	case StatusCode(err) == http.StatusUnprocessableEntity && alreadyExists(err):
		return c.fail(err, ErrAssetExists, "renaming asset %d in %s/%s to %s", id, owner, repo, name)
	case StatusCode(err) == http.StatusUnprocessableEntity:
		return c.fail(err, ErrRefused, "renaming asset %d in %s/%s to %s", id, owner, repo, name)
	}
	return c.fail(err, nil, "renaming asset %d in %s/%s to %s", id, owner, repo, name)
}

// DeleteAsset deletes the asset. A sealed release's assets cannot be
// deleted (ErrRefused).
func (c *Client) DeleteAsset(ctx context.Context, owner, repo string, id int64) error {
	if err := checkRepo(owner, repo); err != nil {
		return err
	}
	_, err := c.gh.Repositories.DeleteReleaseAsset(ctx, owner, repo, id)
	switch {
	case err == nil, StatusCode(err) == http.StatusNotFound:
		return nil
	case StatusCode(err) == http.StatusUnprocessableEntity:
		return c.fail(err, ErrRefused, "deleting asset %d in %s/%s", id, owner, repo)
	}
	return c.fail(err, nil, "deleting asset %d in %s/%s", id, owner, repo)
}

// DownloadAsset reads the bytes of the asset, at most limit of them.
// GitHub answers with a redirect to its storage host: that request, and
// any redirect after it, goes without the token (a credential for GitHub
// is nothing a storage host should see), each hop held to usable (HTTPS
// or loopback, never a metadata host), and its URL's query, a presigned
// signature, is never printed. The first request is sent on a copy of the
// API client that does not follow redirects, so no other call of this
// client is touched.
func (c *Client) DownloadAsset(ctx context.Context, owner, repo string, id int64, limit int64) ([]byte, error) {
	if err := checkRepo(owner, repo); err != nil {
		return nil, err
	}
	req, err := c.gh.NewRequest(http.MethodGet, fmt.Sprintf("repos/%s/%s/releases/assets/%d", owner, repo, id), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/octet-stream")
	api := *c.gh.Client()
	api.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := api.Do(req.WithContext(ctx))
	if err != nil {
		return nil, errkind.Remotef("downloading asset %d of %s/%s: %v", id, owner, repo, stripQuery(err))
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
		resp.Body.Close()
		u, perr := req.URL.Parse(loc)
		if !usable(u, perr) {
			return nil, errkind.Remotef("downloading asset %d of %s/%s: GitHub redirected to an unusable URL", id, owner, repo)
		}
		if resp, err = c.fromStorage(ctx, u); err != nil {
			return nil, errkind.Remotef("downloading asset %d of %s/%s from %s: %v", id, owner, repo, u.Host, stripQuery(err))
		}
	} else if err := github.CheckResponse(resp); err != nil {
		resp.Body.Close()
		return nil, c.fail(err, nil, "downloading asset %d of %s/%s", id, owner, repo)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errkind.Remotef("downloading asset %d of %s/%s: %s", id, owner, repo, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, errkind.Remotef("downloading asset %d of %s/%s: %v", id, owner, repo, stripQuery(err))
	}
	if int64(len(b)) > limit {
		return nil, errkind.Remotef("downloading asset %d of %s/%s: it is larger than %d MiB: refused", id, owner, repo, limit>>20)
	}
	return b, nil
}

// maxRedirects bounds the hops of a storage download.
const maxRedirects = 5

// fromStorage GETs u without credentials, following redirects only to
// usable URLs.
func (c *Client) fromStorage(ctx context.Context, u *url.URL) (*http.Response, error) {
	storage := *c.plain
	storage.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return errors.New("too many redirects")
		}
		if !usable(req.URL, nil) {
			return fmt.Errorf("a redirect to %s://%s, which tagguard does not follow", req.URL.Scheme, req.URL.Host)
		}
		req.Header.Del("Authorization")
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/octet-stream")
	return storage.Do(req)
}

// usable: a URL GitHub named (an upload URL, a download redirect) that
// tagguard follows: HTTPS, or HTTP on loopback, and never a link-local or
// cloud metadata host, whatever GitHub (or what answers as GitHub) says.
func usable(u *url.URL, err error) bool {
	if err != nil || u.Host == "" || refs.Forbidden(u.Host) != "" {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && refs.IsLoopback(u.Hostname()))
}

// stripQuery keeps a presigned URL's signature out of an error.
func stripQuery(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, _, _ := strings.Cut(ue.URL, "?")
		return fmt.Sprintf("%s %s: %v", ue.Op, u, ue.Err)
	}
	return err.Error()
}
