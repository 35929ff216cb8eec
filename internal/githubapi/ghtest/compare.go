package ghtest

import (
	"net/http"
	"strings"
)

func (s *Server) compare(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(r.PathValue("owner"), r.PathValue("repo"), false)
	base, head, ok := strings.Cut(r.PathValue("basehead"), "...")
	var c comparison
	if ok && rs != nil {
		c, ok = rs.compares[[2]string{base, head}]
	}
	if !ok {
		notFound(w, docsCompare)
		return
	}
	resolve := func(ref string) string {
		if sha, ok := rs.branches[ref]; ok {
			return sha
		}
		return ref
	}
	mergeBase := resolve(base)
	if c.status == Behind || c.status == Identical {
		mergeBase = resolve(head)
	}
	m := fixture("compare.json")
	api := "http://" + r.Host + s.prefix + "/repos/" + rs.owner + "/" + rs.name
	html := "https://github.com/" + rs.owner + "/" + rs.name + "/compare/" + base + "..." + head
	m["url"] = api + "/compare/" + base + "..." + head
	m["html_url"] = html
	m["permalink_url"] = html
	m["diff_url"] = html + ".diff"
	m["patch_url"] = html + ".patch"
	m["base_commit"] = map[string]any{"sha": resolve(base), "url": api + "/commits/" + resolve(base)}
	m["merge_base_commit"] = map[string]any{"sha": mergeBase, "url": api + "/commits/" + mergeBase}
	m["status"] = c.status
	m["ahead_by"] = c.aheadBy
	m["behind_by"] = c.behindBy
	m["total_commits"] = c.aheadBy
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) listBranches(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(r.PathValue("owner"), r.PathValue("repo"), false)
	if rs == nil {
		notFound(w, docsBranches)
		return
	}
	api := "http://" + r.Host + s.prefix + "/repos/" + rs.owner + "/" + rs.name
	out := []map[string]any{}
	for _, name := range paginate(w, r, rs.sortedBranches()) {
		m := fixture("branch.json")
		sha := rs.branches[name]
		m["name"] = name
		m["commit"] = map[string]any{"sha": sha, "url": api + "/commits/" + sha}
		m["protected"] = false
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}
