package check

import (
	"context"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestTagPushBase asks GitHub's compare API whether the tagged commit is on
// an expected branch.
func TestTagPushBase(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	gh := ghtest.New(t, ghtest.WithToken("tok3n"))
	onMain, offMain := strings.Repeat("a", 40), strings.Repeat("b", 40)
	gh.AddBranch("org", "app", "main", strings.Repeat("c", 40))
	gh.AddBranch("org", "app", "release/v0.15.x", strings.Repeat("d", 40))
	gh.SetCompare("org", "app", "main", onMain, ghtest.Behind, 0, 3)
	gh.SetCompare("org", "app", "main", offMain, ghtest.Diverged, 2, 5)
	client, err := githubapi.New(githubapi.Config{Token: "tok3n", BaseURL: gh.URL})
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(ctx context.Context, sha string, globs []string) (string, error) {
		res, err := client.Reachable(ctx, "org", "app", sha, globs)
		return res.Branch, err
	}
	tagRun := func(sha string) event.Context {
		env := map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v0.15.1", "GITHUB_SHA": sha, "GITHUB_REPOSITORY": "org/app"}
		ev, _ := event.Load(func(k string) string { return env[k] })
		return ev
	}
	images := []string{srv.Ref("org/app:0.15.1")}

	r := run(t, Options{Images: images, Run: command.Run{Event: tagRun(offMain)}, Guards: Guards{ExpectedBase: []string{"main"}, RequireBase: true, LookupBase: lookup}})
	if g := r.Guards[1]; g.Verdict != Blocked || !strings.Contains(g.Detail, "on no branch matching main") {
		t.Errorf("tag off main: %+v", g)
	}
	r = run(t, Options{Images: images, Run: command.Run{Event: tagRun(onMain)}, Guards: Guards{ExpectedBase: []string{"main"}, RequireBase: true, LookupBase: lookup}})
	if g := r.Guards[1]; g.Verdict != Pass || !strings.Contains(g.Detail, "comes from main") {
		t.Errorf("tag on main: %+v", g)
	}

	// GitHub failing: could not tell, and --require-base decides.
	gh.FailNext(10, ghtest.ServerError(500))
	fast, _ := githubapi.New(githubapi.Config{Token: "tok3n", BaseURL: gh.URL, Retry: githubapi.RetryPolicy{MaxAttempts: 1}})
	failing := func(ctx context.Context, sha string, globs []string) (string, error) {
		res, err := fast.Reachable(ctx, "org", "app", sha, globs)
		return res.Branch, err
	}
	r = run(t, Options{Images: images, Run: command.Run{Event: tagRun(onMain)}, Guards: Guards{ExpectedBase: []string{"main"}, RequireBase: true, LookupBase: failing}})
	if g := r.Guards[1]; g.Verdict != Blocked || !strings.Contains(g.Detail, "could not tell") {
		t.Errorf("GitHub failing, --require-base: %+v", g)
	}
	r = run(t, Options{Images: images, Run: command.Run{Event: tagRun(onMain)}, Guards: Guards{ExpectedBase: []string{"main"}, RequireBase: false, LookupBase: failing}})
	if g := r.Guards[1]; g.Verdict != Warn || r.Blocked {
		t.Errorf("GitHub failing, --require-base=false: %+v", g)
	}
}
