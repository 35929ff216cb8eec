package event

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBase(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name  string
		env   map[string]string
		event string
		want  Base
	}{
		{name: "outside actions", want: Base{Unknown: "not running in GitHub Actions and no --base given"}},
		{name: "pull request", env: map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/7/merge"},
			event: `{"pull_request":{"base":{"ref":"release/v0.15.x"}}}`,
			want:  Base{Branch: "release/v0.15.x", Source: "pull_request.base.ref of the event"}},
		{name: "pull request target", env: map[string]string{"GITHUB_EVENT_NAME": "pull_request_target"},
			event: `{"pull_request":{"base":{"ref":"main"}}}`,
			want:  Base{Branch: "main", Source: "pull_request.base.ref of the event"}},
		{name: "push to branch", env: map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main"},
			event: `{}`, want: Base{Branch: "main", Source: "GITHUB_REF"}},
		{name: "push of tag", env: map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_SHA": sha},
			event: `{}`, want: Base{TagSHA: sha, Tag: "v1.2.3", Source: "tag v1.2.3"}},
		{name: "dispatch", env: map[string]string{"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_REF": "refs/heads/release/1.x", "GITHUB_REF_NAME": "release/1.x"},
			event: `{}`, want: Base{Branch: "release/1.x", Source: "GITHUB_REF_NAME of the dispatch"}},
		{name: "release of a pushed tag looks up the tagged commit, not target_commitish",
			env:   map[string]string{"GITHUB_EVENT_NAME": "release", "GITHUB_REF": "refs/tags/v1.0.0", "GITHUB_SHA": sha},
			event: `{"release":{"tag_name":"v1.0.0","target_commitish":"main"}}`,
			want:  Base{TagSHA: sha, Tag: "v1.0.0", Source: "release v1.0.0"}},
		{name: "release on commit without GITHUB_SHA", env: map[string]string{"GITHUB_EVENT_NAME": "release", "GITHUB_REF": "refs/tags/v1.0.0"},
			event: `{"release":{"tag_name":"v1.0.0","target_commitish":"` + sha + `"}}`,
			want:  Base{TagSHA: sha, Tag: "v1.0.0", Source: "release v1.0.0"}},
		{name: "annotated tag push uses GITHUB_SHA, not the tag object", env: map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v1.2.4", "GITHUB_SHA": sha},
			event: `{"after":"` + strings.Repeat("f", 40) + `"}`, want: Base{TagSHA: sha, Tag: "v1.2.4", Source: "tag v1.2.4"}},
		{name: "schedule on default branch", env: map[string]string{"GITHUB_EVENT_NAME": "schedule", "GITHUB_REF": "refs/heads/main"},
			event: `{}`, want: Base{Branch: "main", Source: "GITHUB_REF"}},
		{name: "pull request without file", env: map[string]string{"GITHUB_EVENT_NAME": "pull_request"},
			want: Base{Unknown: "pull_request event without pull_request.base.ref (is GITHUB_EVENT_PATH set?)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			if tt.event != "" {
				p := filepath.Join(t.TempDir(), "event.json")
				if err := os.WriteFile(p, []byte(tt.event), 0o600); err != nil {
					t.Fatal(err)
				}
				env["GITHUB_EVENT_PATH"] = p
			}
			c, err := Load(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.Base()); diff != "" {
				t.Errorf("Base() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadBadEventFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o600)
	for _, p := range []string{filepath.Join(dir, "missing.json"), bad} {
		env := map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": p}
		if _, err := Load(func(k string) string { return env[k] }); err == nil {
			t.Errorf("Load with event file %s: no error", p)
		}
	}
}
