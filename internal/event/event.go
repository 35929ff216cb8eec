// Package event reads the GitHub Actions run context: which event started the
// run, the ref, and the branch a release comes from. It reads the event file
// and environment only; asking GitHub's API is the caller's business.
package event

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/tagguard/tagguard/internal/files"
)

// Context is the part of a run's context the guards use.
type Context struct {
	Name       string // GITHUB_EVENT_NAME
	Ref        string // GITHUB_REF, e.g. refs/tags/v1.2.3
	RefName    string // GITHUB_REF_NAME
	SHA        string // GITHUB_SHA
	Repository string // GITHUB_REPOSITORY, owner/name
	Actor      string // GITHUB_ACTOR
	RunURL     string // the run's page, when the server, repository and run id are known
	payload    payload
}

// payload holds the few event fields tagguard reads; the rest is ignored.
type payload struct {
	PullRequest *struct {
		Base struct {
			Ref string `json:"ref"`
		} `json:"base"`
	} `json:"pull_request"`
	Release *struct {
		TagName         string `json:"tag_name"`
		TargetCommitish string `json:"target_commitish"`
	} `json:"release"`
}

// Load reads the run context from the environment and, when GITHUB_EVENT_PATH
// is set, the event file. Outside Actions it returns an empty Context.
func Load(getenv func(string) string) (Context, error) {
	c := Context{
		Name:       getenv("GITHUB_EVENT_NAME"),
		Ref:        getenv("GITHUB_REF"),
		RefName:    getenv("GITHUB_REF_NAME"),
		SHA:        getenv("GITHUB_SHA"),
		Repository: getenv("GITHUB_REPOSITORY"),
		Actor:      getenv("GITHUB_ACTOR"),
	}
	if srv, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_RUN_ID"); srv != "" && id != "" && c.Repository != "" {
		c.RunURL = fmt.Sprintf("%s/%s/actions/runs/%s", strings.TrimSuffix(srv, "/"), c.Repository, id)
	}
	if c.RefName == "" {
		c.RefName = strings.TrimPrefix(strings.TrimPrefix(c.Ref, "refs/heads/"), "refs/tags/")
	}
	path := getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return c, nil
	}
	b, err := files.Read(context.Background(), path, MaxEventSize)
	if err != nil {
		return c, fmt.Errorf("reading the GitHub event file (GITHUB_EVENT_PATH): %w", err)
	}
	if err := json.Unmarshal(b, &c.payload); err != nil {
		return c, fmt.Errorf("reading the GitHub event file %s: not valid JSON: %v", path, err)
	}
	return c, nil
}

// MaxEventSize bounds the event file: GitHub caps a webhook payload at
// 25 MB, and the event file is that payload.
const MaxEventSize = 25 << 20

// Tag returns the git tag that started the run, if a tag did.
func (c Context) Tag() (string, bool) {
	t, ok := strings.CutPrefix(c.Ref, "refs/tags/")
	return t, ok && t != ""
}

// Base is the branch a release comes from, or why it could not be told.
type Base struct {
	Branch string // empty when unknown
	Source string // where the branch was read, for the report
	// TagSHA is set when the run was started by a tag (or a release whose
	// target is a commit): the branch is whichever branch holds that commit,
	// which only GitHub can answer.
	TagSHA string
	Tag    string
	// Unknown says why Branch is empty.
	Unknown string
}

var sha1Hex = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Base works out the branch a release comes from: the pull request's base, the
// branch pushed to, the dispatched ref, or for a tag the tagged commit.
func (c Context) Base() Base {
	if c.Name == "" {
		return Base{Unknown: "not running in GitHub Actions and no --base given"}
	}
	switch c.Name {
	case "pull_request", "pull_request_target":
		if c.payload.PullRequest != nil && c.payload.PullRequest.Base.Ref != "" {
			return Base{Branch: c.payload.PullRequest.Base.Ref, Source: "pull_request.base.ref of the event"}
		}
		return Base{Unknown: c.Name + " event without pull_request.base.ref (is GITHUB_EVENT_PATH set?)"}
	case "release":
		// release.target_commitish is only used when GitHub creates the tag;
		// for a tag pushed before the release (the usual flow) it holds the
		// default branch whatever the tag's commit is. So the tagged commit
		// (GITHUB_SHA) is what is looked up, as for a tag push.
		if c.payload.Release == nil {
			return Base{Unknown: "release event without a release (is GITHUB_EVENT_PATH set?)"}
		}
		sha := c.SHA
		if sha == "" && sha1Hex.MatchString(c.payload.Release.TargetCommitish) {
			sha = c.payload.Release.TargetCommitish
		}
		if sha == "" {
			return Base{Unknown: "release event without GITHUB_SHA"}
		}
		return Base{TagSHA: sha, Tag: c.payload.Release.TagName, Source: "release " + c.payload.Release.TagName}
	}
	if b, ok := strings.CutPrefix(c.Ref, "refs/heads/"); ok {
		src := "GITHUB_REF"
		if c.Name == "workflow_dispatch" {
			src = "GITHUB_REF_NAME of the dispatch"
		}
		return Base{Branch: b, Source: src}
	}
	if t, ok := c.Tag(); ok {
		// GITHUB_SHA is the tagged commit; the payload's "after" is the tag
		// object's own SHA for an annotated tag, which no branch contains.
		if c.SHA == "" {
			return Base{Unknown: "run started by tag " + t + " without GITHUB_SHA"}
		}
		return Base{TagSHA: c.SHA, Tag: t, Source: "tag " + t}
	}
	return Base{Unknown: fmt.Sprintf("%s event on ref %q names no branch", c.Name, c.Ref)}
}
