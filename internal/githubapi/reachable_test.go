package githubapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
)

func TestReachableByStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status string
		want   string // containing branch
	}{
		{ghtest.Behind, "main"},
		{ghtest.Identical, "main"},
		{ghtest.Ahead, ""},
		{ghtest.Diverged, ""},
	} {
		t.Run(tc.status, func(t *testing.T) {
			t.Parallel()
			s := ghtest.New(t, ghtest.WithToken(token))
			s.AddBranch("org", "app", "main", "m1")
			s.AddBranch("org", "app", "feature", "f1")
			s.SetCompare("org", "app", "main", "abc123", tc.status, 1, 1)
			c, _ := newClient(t, s)

			got, err := c.Reachable(context.Background(), "org", "app", "abc123", []string{"main"})
			if err != nil {
				t.Fatal(err)
			}
			want := githubapi.Reachability{SHA: "abc123", Branch: tc.want, Checked: []string{"main"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.Reachable() != (tc.want != "") {
				t.Errorf("Reachable() = %v", got.Reachable())
			}
			wantReqs := []string{
				"GET /repos/org/app/branches?per_page=100",
				"GET /repos/org/app/compare/main...abc123?per_page=1",
			}
			if diff := cmp.Diff(wantReqs, requests(s)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// Branches come over several pages; only those matching a glob are
// compared, in order, until one contains the commit.
func TestReachableGlobsAcrossPages(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t)
	for i := range 110 {
		s.AddBranch("org", "app", fmt.Sprintf("feature-%03d", i), "f")
	}
	s.AddBranch("org", "app", "release/1.x", "r1")
	s.AddBranch("org", "app", "release/2.x", "r2")
	s.AddBranch("org", "app", "release/3.x", "r3")
	s.SetCompare("org", "app", "release/1.x", "abc", ghtest.Diverged, 3, 5)
	s.SetCompare("org", "app", "release/2.x", "abc", ghtest.Behind, 0, 4)
	c, _ := newClient(t, s)

	got, err := c.Reachable(context.Background(), "org", "app", "abc", []string{"main", "release/*"})
	if err != nil {
		t.Fatal(err)
	}
	want := githubapi.Reachability{SHA: "abc", Branch: "release/2.x", Checked: []string{"release/1.x", "release/2.x"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	wantReqs := []string{
		"GET /repos/org/app/branches?per_page=100",
		"GET /repos/org/app/branches?page=2&per_page=100",
		"GET /repos/org/app/compare/release%2F1.x...abc?per_page=1",
		"GET /repos/org/app/compare/release%2F2.x...abc?per_page=1",
	}
	if diff := cmp.Diff(wantReqs, requests(s)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestReachableNoMatchingBranch(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t)
	s.AddBranch("org", "app", "main", "m")
	c, _ := newClient(t, s)
	got, err := c.Reachable(context.Background(), "org", "app", "abc", []string{"release/*"})
	if err != nil || got.Reachable() || len(got.Checked) != 0 {
		t.Errorf("got %+v, %v; want nothing checked, no error", got, err)
	}
}

// When GitHub cannot answer, Reachable says so instead of "not reachable".
func TestReachableCouldNotTell(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t)
	s.AddBranch("org", "app", "main", "m") // no comparison: GitHub answers 404
	c, _ := newClient(t, s)
	_, err := c.Reachable(context.Background(), "org", "app", "abc", []string{"main"})
	want := "checking whether abc is on a branch matching main in org/app: comparing main...abc: GitHub answered 404 Not Found"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want prefix %q", err, want)
	}

	// Anonymous, a private repository is a 404 too: the message says why.
	anon, err := githubapi.New(githubapi.Config{BaseURL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = anon.Reachable(context.Background(), "org", "private", "abc", []string{"main"})
	if err == nil || !strings.Contains(err.Error(), "no GitHub token was given") {
		t.Errorf("anonymous 404: err = %v, want a hint about the missing token", err)
	}
}

func TestReachableBadInput(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t)
	c, _ := newClient(t, s)
	for _, tc := range []struct {
		owner, repo, sha string
		globs            []string
	}{
		{"org", "app", "abc", []string{"release/["}},
		{"org", "app", "abc", nil},
		{"org", "app", "", []string{"main"}},
		{"org", "../x", "abc", []string{"main"}},
	} {
		_, err := c.Reachable(context.Background(), tc.owner, tc.repo, tc.sha, tc.globs)
		if errkind.Of(err) != errkind.BadInput {
			t.Errorf("Reachable(%q, %q, %q, %q): err = %v, want bad input", tc.owner, tc.repo, tc.sha, tc.globs, err)
		}
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("bad input sent %d requests", n)
	}
}
