package ghtest

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Release is a release as the server keeps it. Zero fields get GitHub's
// defaults when added: a fresh ID, target_commitish "main", name = tag.
type Release struct {
	ID              int64
	TagName         string
	TargetCommitish string
	Name            string
	Body            string
	Draft           bool
	Prerelease      bool
	CreatedAt       time.Time
	PublishedAt     time.Time // zero while a draft
	// Immutable: the release was published while the repository's
	// immutable-releases setting was on (or a test says so): its assets
	// and tag are locked.
	Immutable bool

	assets []*Asset
}

// Comparison statuses, as GitHub's compare endpoint reports them for
// base...head.
const (
	Ahead     = "ahead"     // head has commits base lacks; base is an ancestor of head
	Behind    = "behind"    // head is an ancestor of base: base contains it
	Identical = "identical" // same commit
	Diverged  = "diverged"  // each has commits the other lacks
)

type comparison struct {
	status            string
	aheadBy, behindBy int
}

type repoState struct {
	owner, name string
	releases    []*Release // in creation order; listed newest first
	immutable   bool       // the immutable-releases setting
	branches    map[string]string
	compares    map[[2]string]comparison
}

// repoLocked returns the repository, creating it when create is set.
// Owner and repository names are case-insensitive on GitHub. Callers hold s.mu.
func (s *Server) repoLocked(owner, repo string, create bool) *repoState {
	key := strings.ToLower(owner + "/" + repo)
	r := s.repos[key]
	if r == nil && create {
		r = &repoState{
			owner:    owner,
			name:     repo,
			branches: map[string]string{},
			compares: map[[2]string]comparison{},
		}
		s.repos[key] = r
	}
	return r
}

// AddRepo makes an empty repository exist, so that its endpoints answer
// 200 with empty lists instead of 404. Adding anything to a repository
// creates it too.
func (s *Server) AddRepo(owner, repo string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, repo, true)
}

// AddRelease stores a release and returns it as stored, with defaults filled
// in. Releases added later are newer: they come first in listings.
func (s *Server) AddRelease(owner, repo string, rel Release) Release {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addReleaseLocked(s.repoLocked(owner, repo, true), rel)
}

func (s *Server) addReleaseLocked(r *repoState, rel Release) *Release {
	if rel.ID == 0 {
		s.nextID++
		rel.ID = s.nextID
	}
	if rel.TargetCommitish == "" {
		rel.TargetCommitish = "main"
	}
	if rel.Name == "" {
		rel.Name = rel.TagName
	}
	if rel.CreatedAt.IsZero() {
		rel.CreatedAt = time.Now().UTC().Truncate(time.Second)
	}
	if !rel.Draft && rel.PublishedAt.IsZero() {
		rel.PublishedAt = rel.CreatedAt
		rel.Immutable = rel.Immutable || r.immutable
	}
	r.releases = append(r.releases, &rel)
	return &rel
}

// Release returns the release with the tag, drafts included, as the server
// holds it now; ok is false when there is none.
func (s *Server) Release(owner, repo, tag string) (rel Release, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, false)
	if r == nil {
		return Release{}, false
	}
	if p := r.releaseByTag(tag, true); p != nil {
		return *p, true
	}
	return Release{}, false
}

// Releases returns every release of the repository, newest first.
func (s *Server) Releases(owner, repo string) []Release {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, false)
	if r == nil {
		return nil
	}
	var out []Release
	for _, p := range r.newestFirst() {
		out = append(out, *p)
	}
	return out
}

// AddBranch creates or moves a branch to the commit sha.
func (s *Server) AddBranch(owner, repo, branch, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, repo, true).branches[branch] = sha
}

// SetCompare fixes what GET /repos/{owner}/{repo}/compare/{base}...{head}
// answers: status is Ahead, Behind, Identical or Diverged. Pairs never set
// are answered 404, as GitHub does for an unknown commit.
func (s *Server) SetCompare(owner, repo, base, head, status string, aheadBy, behindBy int) {
	switch status {
	case Ahead, Behind, Identical, Diverged:
	default:
		panic(fmt.Sprintf("ghtest: SetCompare: unknown status %q", status))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, repo, true).compares[[2]string{base, head}] = comparison{status, aheadBy, behindBy}
}

func (r *repoState) newestFirst() []*Release {
	out := make([]*Release, 0, len(r.releases))
	for i := len(r.releases) - 1; i >= 0; i-- {
		out = append(out, r.releases[i])
	}
	return out
}

func (r *repoState) releaseByTag(tag string, drafts bool) *Release {
	for _, p := range r.newestFirst() {
		if p.TagName == tag && (drafts || !p.Draft) {
			return p
		}
	}
	return nil
}

func (r *repoState) releaseByID(id int64) *Release {
	for _, p := range r.releases {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func (r *repoState) sortedBranches() []string {
	names := make([]string, 0, len(r.branches))
	for n := range r.branches {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
