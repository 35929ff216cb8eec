package event

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGitHubPayloads reads the event payloads in the top-level testdata
// (taken from GitHub's documented webhook payloads) with the variables the
// runner sets for each, and checks the base branch each yields.
func TestGitHubPayloads(t *testing.T) {
	t.Parallel()
	const sha = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
	for file, tc := range map[string]struct {
		env  map[string]string
		want Base
	}{
		"push.json": {env: map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main", "GITHUB_SHA": sha},
			want: Base{Branch: "main", Source: "GITHUB_REF"}},
		"push-tag.json": {env: map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_SHA": sha},
			want: Base{TagSHA: sha, Tag: "v1.2.3", Source: "tag v1.2.3"}},
		"release-published.json": {env: map[string]string{"GITHUB_EVENT_NAME": "release", "GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_SHA": sha},
			want: Base{TagSHA: sha, Tag: "v1.2.3", Source: "release v1.2.3"}},
		"pull_request.json": {env: map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/2/merge"},
			want: Base{Branch: "release/1.4", Source: "pull_request.base.ref of the event"}},
		"pull_request_target.json": {env: map[string]string{"GITHUB_EVENT_NAME": "pull_request_target", "GITHUB_REF": "refs/heads/main"},
			want: Base{Branch: "main", Source: "pull_request.base.ref of the event"}},
		"workflow_dispatch.json": {env: map[string]string{"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_REF": "refs/heads/release/1.x", "GITHUB_REF_NAME": "release/1.x"},
			want: Base{Branch: "release/1.x", Source: "GITHUB_REF_NAME of the dispatch"}},
		"schedule.json": {env: map[string]string{"GITHUB_EVENT_NAME": "schedule", "GITHUB_REF": "refs/heads/main"},
			want: Base{Branch: "main", Source: "GITHUB_REF"}},
	} {
		env := map[string]string{"GITHUB_EVENT_PATH": "../../testdata/events/" + file}
		for k, v := range tc.env {
			env[k] = v
		}
		c, err := Load(func(k string) string { return env[k] })
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if diff := cmp.Diff(tc.want, c.Base()); diff != "" {
			t.Errorf("%s: Base (-want +got):\n%s", file, diff)
		}
	}
}
