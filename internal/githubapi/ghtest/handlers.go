package ghtest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Documentation links GitHub puts in errors of each endpoint.
const (
	docsReleaseByTag  = "https://docs.github.com/rest/releases/releases#get-a-release-by-tag-name"
	docsListReleases  = "https://docs.github.com/rest/releases/releases#list-releases"
	docsCreateRelease = "https://docs.github.com/rest/releases/releases#create-a-release"
	docsUpdateRelease = "https://docs.github.com/rest/releases/releases#update-a-release"
	docsCompare       = "https://docs.github.com/rest/commits/commits#compare-two-commits"
	docsBranches      = "https://docs.github.com/rest/branches/branches#list-branches"
)

// maxBody is GitHub's limit on a release body, in characters.
const maxBody = 125000

// route dispatches to the endpoint. Requests to endpoints ghtest does not
// model fail the test: a 404 would let the code under test believe GitHub
// said so.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.t.Errorf("ghtest: no such endpoint: %s %s", r.Method, r.URL.EscapedPath())
		notFound(w, "https://docs.github.com/rest")
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	p := s.prefix + "/repos/{owner}/{repo}"
	mux.HandleFunc("GET "+p+"/releases/{rest...}", s.releaseGets)
	mux.HandleFunc("GET "+p+"/releases", s.listReleases)
	mux.HandleFunc("POST "+p+"/releases", s.createRelease)
	mux.HandleFunc("PATCH "+p+"/releases/{id}", s.updateRelease)
	mux.HandleFunc("POST "+s.uploadPrefix()+"/repos/{owner}/{repo}/releases/{id}/assets", s.uploadAsset)
	mux.HandleFunc("DELETE "+p+"/releases/assets/{asset}", s.deleteAsset)
	mux.HandleFunc("PATCH "+p+"/releases/assets/{asset}", s.updateAsset)
	mux.HandleFunc("GET "+p+"/compare/{basehead...}", s.compare)
	mux.HandleFunc("GET "+p+"/branches", s.listBranches)
	return mux
}

// releaseGets dispatches GET /releases/…: tags/{tag...}, {id}/assets and
// assets/{asset} overlap as mux patterns.
func (s *Server) releaseGets(w http.ResponseWriter, r *http.Request) {
	rest := r.PathValue("rest")
	first, second, _ := strings.Cut(rest, "/")
	switch {
	case first == "tags" && second != "":
		r.SetPathValue("tag", second)
		s.releaseByTag(w, r)
	case first == "assets" && second != "" && !strings.Contains(second, "/"):
		r.SetPathValue("asset", second)
		s.getAsset(w, r)
	case second == "assets":
		r.SetPathValue("id", first)
		s.listAssets(w, r)
	default:
		s.t.Errorf("ghtest: no such endpoint: %s %s", r.Method, r.URL.EscapedPath())
		notFound(w, "https://docs.github.com/rest")
	}
}

func (s *Server) releaseByTag(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(r.PathValue("owner"), r.PathValue("repo"), false)
	var rel *Release
	if rs != nil {
		rel = rs.releaseByTag(r.PathValue("tag"), false) // drafts are invisible here, as on GitHub
	}
	if rel == nil {
		notFound(w, docsReleaseByTag)
		return
	}
	writeJSON(w, http.StatusOK, s.renderRelease(r, rs, rel))
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(r.PathValue("owner"), r.PathValue("repo"), false)
	if rs == nil {
		notFound(w, docsListReleases)
		return
	}
	out := []map[string]any{}
	for _, rel := range paginate(w, r, rs.newestFirst()) {
		out = append(out, s.renderRelease(r, rs, rel))
	}
	writeJSON(w, http.StatusOK, out)
}

// releaseRequest is the body of create and update; nil fields are absent.
type releaseRequest struct {
	TagName                *string `json:"tag_name"`
	TargetCommitish        *string `json:"target_commitish"`
	Name                   *string `json:"name"`
	Body                   *string `json:"body"`
	Draft                  *bool   `json:"draft"`
	Prerelease             *bool   `json:"prerelease"`
	MakeLatest             *string `json:"make_latest"`
	GenerateReleaseNotes   *bool   `json:"generate_release_notes"`
	DiscussionCategoryName *string `json:"discussion_category_name"`
}

// decodeRelease reads the body, answering like GitHub: 400 for JSON that
// does not parse, 422 for a field of the wrong type or a body too long.
func decodeRelease(w http.ResponseWriter, r *http.Request, docs string) (releaseRequest, bool) {
	var req releaseRequest
	err := json.NewDecoder(r.Body).Decode(&req)
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		writeError(w, http.StatusUnprocessableEntity,
			fmt.Sprintf("Invalid request.\n\nFor 'properties/%s', %s is not a %s.", typeErr.Field, typeErr.Value, typeErr.Type), docs)
		return req, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docs)
		return req, false
	case req.Body != nil && utf8.RuneCountInString(*req.Body) > maxBody:
		writeValidation(w, docs, fieldError{Resource: "Release", Code: "custom", Field: "body",
			Message: fmt.Sprintf("body is too long (maximum is %d characters)", maxBody)})
		return req, false
	}
	return req, true
}

func (s *Server) createRelease(w http.ResponseWriter, r *http.Request) {
	req, ok := decodeRelease(w, r, docsCreateRelease)
	if !ok {
		return
	}
	if req.TagName == nil || *req.TagName == "" {
		writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"tag_name\" wasn't supplied.", docsCreateRelease)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(r.PathValue("owner"), r.PathValue("repo"), false)
	if rs == nil {
		notFound(w, docsCreateRelease)
		return
	}
	if rs.releaseByTag(*req.TagName, true) != nil {
		writeValidation(w, docsCreateRelease, fieldError{Resource: "Release", Code: "already_exists", Field: "tag_name"})
		return
	}
	rel := Release{TagName: *req.TagName}
	apply(&rel, req, rs.immutable)
	body := s.renderRelease(r, rs, s.addReleaseLocked(rs, rel))
	w.Header().Set("Location", body["url"].(string))
	writeJSON(w, http.StatusCreated, body)
}

func (s *Server) updateRelease(w http.ResponseWriter, r *http.Request) {
	req, ok := decodeRelease(w, r, docsUpdateRelease)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(r.PathValue("owner"), r.PathValue("repo"), false)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var rel *Release
	if rs != nil && err == nil {
		rel = rs.releaseByID(id)
	}
	if rel == nil {
		notFound(w, docsUpdateRelease)
		return
	}
	if req.TagName != nil && *req.TagName != rel.TagName && rs.releaseByTag(*req.TagName, true) != nil {
		writeValidation(w, docsUpdateRelease, fieldError{Resource: "Release", Code: "already_exists", Field: "tag_name"})
		return
	}
	apply(rel, req, rs.immutable)
	writeJSON(w, http.StatusOK, s.renderRelease(r, rs, rel))
}

// apply copies the fields present in req; publishing a draft stamps it.
func apply(rel *Release, req releaseRequest, immutable bool) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&rel.TagName, req.TagName)
	set(&rel.TargetCommitish, req.TargetCommitish)
	set(&rel.Name, req.Name)
	set(&rel.Body, req.Body)
	if req.Prerelease != nil {
		rel.Prerelease = *req.Prerelease
	}
	if req.Draft != nil {
		rel.Draft = *req.Draft
		if !rel.Draft && rel.PublishedAt.IsZero() {
			rel.PublishedAt = time.Now().UTC().Truncate(time.Second)
			rel.Immutable = rel.Immutable || immutable
		}
	}
}

// renderRelease fills the release fixture. Callers hold s.mu.
func (s *Server) renderRelease(r *http.Request, rs *repoState, rel *Release) map[string]any {
	m := fixture("release.json")
	repoPath := "/repos/" + rs.owner + "/" + rs.name
	api := "http://" + r.Host + s.prefix + repoPath
	id := strconv.FormatInt(rel.ID, 10)
	html := "https://github.com/" + rs.owner + "/" + rs.name + "/releases/tag/" + rel.TagName
	// GitHub names its uploads host in upload_url (uploads.github.com,
	// or /api/uploads on Enterprise Server); here it is this server.
	upload := "http://" + r.Host + s.uploadPrefix() + repoPath
	m["url"] = api + "/releases/" + id
	m["assets_url"] = api + "/releases/" + id + "/assets"
	m["upload_url"] = upload + "/releases/" + id + "/assets{?name,label}"
	m["tarball_url"] = api + "/tarball/" + rel.TagName
	m["zipball_url"] = api + "/zipball/" + rel.TagName
	m["id"] = rel.ID
	m["node_id"] = base64.StdEncoding.EncodeToString([]byte("07:Release" + id))
	m["tag_name"] = rel.TagName
	m["target_commitish"] = rel.TargetCommitish
	m["name"] = rel.Name
	m["body"] = rel.Body
	m["draft"] = rel.Draft
	m["prerelease"] = rel.Prerelease
	m["created_at"] = rel.CreatedAt.UTC().Format(time.RFC3339)
	m["published_at"] = nil
	if rel.Draft {
		// A draft has no tag yet as far as the web UI is concerned.
		html = "https://github.com/" + rs.owner + "/" + rs.name + "/releases/tag/untagged-" + fmt.Sprintf("%020x", rel.ID)
		m["tarball_url"], m["zipball_url"] = nil, nil
	} else {
		m["published_at"] = rel.PublishedAt.UTC().Format(time.RFC3339)
	}
	m["html_url"] = html
	m["immutable"] = rel.Immutable
	assets := []map[string]any{}
	for _, a := range rel.assets {
		assets = append(assets, s.renderAsset(r, rs, a))
	}
	m["assets"] = assets
	return m
}

// uploadPrefix is where uploads are served: /api/uploads on Enterprise
// Server, as there; /uploads here standing in for uploads.github.com.
func (s *Server) uploadPrefix() string {
	if s.prefix != "" {
		return "/api/uploads"
	}
	return "/uploads"
}
