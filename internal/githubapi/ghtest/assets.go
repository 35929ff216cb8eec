package ghtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Documentation links of the release asset endpoints.
const (
	docsUploadAsset = "https://docs.github.com/rest/releases/assets#upload-a-release-asset"
	docsListAssets  = "https://docs.github.com/rest/releases/assets#list-release-assets"
	docsGetAsset    = "https://docs.github.com/rest/releases/assets#get-a-release-asset"
	docsDeleteAsset = "https://docs.github.com/rest/releases/assets#delete-a-release-asset"
	docsUpdateAsset = "https://docs.github.com/rest/releases/assets#update-a-release-asset"
	docsImmutable   = "https://docs.github.com/code-security/supply-chain-security/understanding-your-software-supply-chain/immutable-releases"
)

// maxAsset bounds an upload the server keeps (GitHub's own limit is 2 GiB).
const maxAsset = 64 << 20

// Asset is a release asset as the server keeps it.
type Asset struct {
	ID          int64
	Name        string
	Label       string
	ContentType string
	Data        []byte
	CreatedAt   time.Time
}

// SetImmutableReleases turns GitHub's "immutable releases" repository
// setting on or off: a release published while it is on is immutable, its
// assets and tag locked (uploads, replacements and deletions answered
// 422), its title and notes still editable.
func (s *Server) SetImmutableReleases(owner, repo string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, repo, true).immutable = on
}

// Publish publishes the draft with the tag, as the web UI's button or a
// later workflow step does; under the immutable-releases setting it is
// then immutable.
func (s *Server) Publish(owner, repo, tag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(owner, repo, true)
	rel := rs.releaseByTag(tag, true)
	if rel == nil {
		panic("ghtest: Publish: no release " + tag)
	}
	f := false
	apply(rel, releaseRequest{Draft: &f}, rs.immutable)
}

// EditBody replaces the notes of the release with the tag, as a person
// with write access can at any time, immutable or not.
func (s *Server) EditBody(owner, repo, tag, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rel := s.repoLocked(owner, repo, true).releaseByTag(tag, true)
	if rel == nil {
		panic("ghtest: EditBody: no release " + tag)
	}
	rel.Body = body
}

// AddAsset stores an asset on the release with the tag, bypassing every
// rule (a fixture): a test may so give a sealed release any asset.
func (s *Server) AddAsset(owner, repo, tag string, a Asset) Asset {
	s.mu.Lock()
	defer s.mu.Unlock()
	rel := s.repoLocked(owner, repo, true).releaseByTag(tag, true)
	if rel == nil {
		panic("ghtest: AddAsset: no release " + tag)
	}
	return *s.addAssetLocked(rel, a)
}

// Assets returns the release's assets as the server holds them now.
func (s *Server) Assets(owner, repo, tag string) []Asset {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, false)
	if r == nil {
		return nil
	}
	rel := r.releaseByTag(tag, true)
	if rel == nil {
		return nil
	}
	var out []Asset
	for _, a := range rel.assets {
		out = append(out, *a)
	}
	return out
}

func (s *Server) addAssetLocked(rel *Release, a Asset) *Asset {
	if a.ID == 0 {
		s.nextID++
		a.ID = s.nextID
	}
	if a.ContentType == "" {
		a.ContentType = "application/octet-stream"
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now().UTC().Truncate(time.Second)
	}
	rel.assets = append(rel.assets, &a)
	return &a
}

// locked says why GitHub refuses to change the assets of rel: an
// immutable release once published.
func locked(rel *Release) bool { return rel.Immutable && !rel.Draft }

func (s *Server) releaseOf(r *http.Request) (*repoState, *Release) {
	rs := s.repoLocked(r.PathValue("owner"), r.PathValue("repo"), false)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if rs == nil || err != nil {
		return rs, nil
	}
	return rs, rs.releaseByID(id)
}

func (s *Server) assetOf(r *http.Request) (*repoState, *Release, *Asset) {
	rs := s.repoLocked(r.PathValue("owner"), r.PathValue("repo"), false)
	id, err := strconv.ParseInt(r.PathValue("asset"), 10, 64)
	if rs == nil || err != nil {
		return rs, nil, nil
	}
	for _, rel := range rs.releases {
		for _, a := range rel.assets {
			if a.ID == id {
				return rs, rel, a
			}
		}
	}
	return rs, nil, nil
}

// uploadAsset is POST {upload_url}?name=…&label=…, the body the asset.
func (s *Server) uploadAsset(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		writeError(w, http.StatusUnprocessableEntity, "Bad Content-Length or name", docsUploadAsset)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxAsset+1))
	if err != nil || len(data) > maxAsset {
		writeError(w, http.StatusBadRequest, "Bad request body", docsUploadAsset)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, rel := s.releaseOf(r)
	if rel == nil {
		notFound(w, docsUploadAsset)
		return
	}
	if locked(rel) {
		writeError(w, http.StatusUnprocessableEntity, "Cannot upload assets to an immutable release.", docsImmutable)
		return
	}
	for _, a := range rel.assets {
		if a.Name == name {
			writeValidation(w, docsUploadAsset, fieldError{Resource: "ReleaseAsset", Code: "already_exists", Field: "name"})
			return
		}
	}
	a := s.addAssetLocked(rel, Asset{Name: name, Label: r.URL.Query().Get("label"), ContentType: r.Header.Get("Content-Type"), Data: data})
	writeJSON(w, http.StatusCreated, s.renderAsset(r, rs, a))
}

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, rel := s.releaseOf(r)
	if rel == nil {
		notFound(w, docsListAssets)
		return
	}
	out := []map[string]any{}
	for _, a := range paginate(w, r, rel.assets) {
		out = append(out, s.renderAsset(r, rs, a))
	}
	writeJSON(w, http.StatusOK, out)
}

// getAsset answers the asset's JSON, or with Accept:
// application/octet-stream a 302 to the storage host, as GitHub does.
func (s *Server) getAsset(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, _, a := s.assetOf(r)
	if a == nil {
		notFound(w, docsGetAsset)
		return
	}
	if r.Header.Get("Accept") == "application/octet-stream" {
		w.Header().Set("Location", fmt.Sprintf("%s/download/%d?X-Amz-Signature=ghtest-presigned", s.storage.URL, a.ID))
		w.WriteHeader(http.StatusFound)
		return
	}
	writeJSON(w, http.StatusOK, s.renderAsset(r, rs, a))
}

// updateAsset renames an asset (or relabels it), as GitHub's "update a
// release asset".
func (s *Server) updateAsset(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name  *string `json:"name"`
		Label *string `json:"label"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docsUpdateAsset)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, rel, a := s.assetOf(r)
	if a == nil {
		notFound(w, docsUpdateAsset)
		return
	}
	if locked(rel) {
		writeError(w, http.StatusUnprocessableEntity, "Cannot update assets of an immutable release.", docsImmutable)
		return
	}
	if req.Name != nil && *req.Name != a.Name {
		for _, x := range rel.assets {
			if x.Name == *req.Name {
				writeValidation(w, docsUpdateAsset, fieldError{Resource: "ReleaseAsset", Code: "already_exists", Field: "name"})
				return
			}
		}
		a.Name = *req.Name
	}
	if req.Label != nil {
		a.Label = *req.Label
	}
	writeJSON(w, http.StatusOK, s.renderAsset(r, rs, a))
}

func (s *Server) deleteAsset(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, rel, a := s.assetOf(r)
	if a == nil {
		notFound(w, docsDeleteAsset)
		return
	}
	if locked(rel) {
		writeError(w, http.StatusUnprocessableEntity, "Cannot delete assets of an immutable release.", docsImmutable)
		return
	}
	for i, x := range rel.assets {
		if x == a {
			rel.assets = append(rel.assets[:i], rel.assets[i+1:]...)
			break
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// renderAsset is an asset's JSON. Callers hold s.mu.
func (s *Server) renderAsset(r *http.Request, rs *repoState, a *Asset) map[string]any {
	api := "http://" + r.Host + s.prefix + "/repos/" + rs.owner + "/" + rs.name
	return map[string]any{
		"url":                  api + "/releases/assets/" + strconv.FormatInt(a.ID, 10),
		"browser_download_url": "https://github.com/" + rs.owner + "/" + rs.name + "/releases/download/" + a.Name,
		"id":                   a.ID,
		"name":                 a.Name,
		"label":                a.Label,
		"state":                "uploaded",
		"content_type":         a.ContentType,
		"size":                 len(a.Data),
		"download_count":       0,
		"created_at":           a.CreatedAt.Format(time.RFC3339),
		"updated_at":           a.CreatedAt.Format(time.RFC3339),
	}
}
