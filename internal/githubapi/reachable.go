package githubapi

import (
	"github.com/tagguard/tagguard/internal/policy"

	"context"
	"path"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/tagguard/tagguard/internal/errkind"
)

// Reachability says whether a commit is on a branch matching some globs.
type Reachability struct {
	// SHA is the commit asked about.
	SHA string
	// Branch is the first matching branch that contains SHA; empty when
	// none does.
	Branch string
	// Checked lists the matching branches compared, in order, Branch
	// included. Empty with Branch empty: no branch matched the globs.
	Checked []string
}

// Reachable reports whether SHA is in the history of a branch.
func (r Reachability) Reachable() bool { return r.Branch != "" }

// Reachable asks whether commit sha is reachable from a branch of
// owner/repo whose name matches one of branchGlobs (path.Match syntax:
// "main", "release/*"). Branches are listed, then each match is compared
// with {branch}...{sha}: "behind" or "identical" means the branch contains
// the commit. It stops at the first branch that does.
//
// Any failure — no token for a private repository, 401, 403, 404, rate
// limits — is returned, never taken as "not reachable": the caller must be
// able to say it could not tell, and why.
func (c *Client) Reachable(ctx context.Context, owner, repo, sha string, branchGlobs []string) (Reachability, error) {
	res := Reachability{SHA: sha}
	if err := checkRepo(owner, repo); err != nil {
		return res, err
	}
	if sha == "" {
		return res, errkind.BadInputf("checking which branch holds a commit in %s/%s: no commit given", owner, repo)
	}
	if len(branchGlobs) == 0 {
		return res, errkind.BadInputf("checking whether %s is on a branch of %s/%s: no branch patterns given", sha, owner, repo)
	}
	for _, g := range branchGlobs {
		if _, err := path.Match(g, ""); err != nil {
			return res, errkind.BadInputf("checking whether %s is on a branch of %s/%s: bad branch pattern %q: %v", sha, owner, repo, g, err)
		}
	}
	globs := strings.Join(branchGlobs, ", ")

	var matching []string
	opts := &github.BranchListOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		branches, resp, err := c.gh.Repositories.ListBranches(ctx, owner, repo, opts)
		if err != nil {
			return res, c.fail(err, nil, "checking whether %s is on a branch matching %s in %s/%s: listing branches", sha, globs, owner, repo)
		}
		for _, b := range branches {
			if policy.MatchAny(branchGlobs, b.GetName()) {
				matching = append(matching, b.GetName())
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}

	for _, b := range matching {
		// One commit per page: only the status matters, not the commit list.
		cmp, _, err := c.gh.Repositories.CompareCommits(ctx, owner, repo, b, sha, &github.ListOptions{PerPage: 1})
		if err != nil {
			return res, c.fail(err, nil, "checking whether %s is on a branch matching %s in %s/%s: comparing %s...%s", sha, globs, owner, repo, b, sha)
		}
		res.Checked = append(res.Checked, b)
		switch cmp.GetStatus() {
		case "behind", "identical":
			res.Branch = b
			return res, nil
		}
	}
	return res, nil
}
