package githubapi_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
)

func TestFindReleaseByTag(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t, ghtest.WithToken(token))
	added := s.AddRelease("org", "app", ghtest.Release{TagName: "v1.2.3", Body: "notes"})
	c, _ := newClient(t, s)

	got, err := c.FindRelease(context.Background(), "org", "app", "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	want := &githubapi.Release{ID: added.ID, TagName: "v1.2.3", Name: "v1.2.3", Body: "notes",
		HTMLURL: "https://github.com/org/app/releases/tag/v1.2.3", CreatedAt: added.CreatedAt, PublishedAt: added.PublishedAt,
		UploadURL: strings.TrimSuffix(s.URL, "/") + "/uploads/repos/org/app/releases/" + strconv.FormatInt(added.ID, 10) + "/assets"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("release (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"GET /repos/org/app/releases/tags/v1.2.3"}, requests(s)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestFindReleaseEscapesTag(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t)
	s.AddRelease("org", "app", ghtest.Release{TagName: "release/v1#2"})
	c, _ := newClient(t, s)
	if _, err := c.FindRelease(context.Background(), "org", "app", "release/v1#2"); err != nil {
		t.Fatal(err)
	}
	s.Expect("GET /repos/org/app/releases/tags/release%2Fv1%232")
}

// GitHub answers 404 by tag for a draft; the draft is found by listing,
// here on the second page.
func TestFindReleaseDraftThroughList(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t, ghtest.WithToken(token))
	draft := s.AddRelease("org", "app", ghtest.Release{TagName: "v9.0.0", Draft: true, Body: "draft notes"})
	for i := range 120 { // newer, so listed before the draft
		s.AddRelease("org", "app", ghtest.Release{TagName: fmt.Sprintf("v0.0.%d", i)})
	}
	c, _ := newClient(t, s)

	got, err := c.FindRelease(context.Background(), "org", "app", "v9.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != draft.ID || !got.Draft || got.Body != "draft notes" {
		t.Errorf("got %+v, want the draft %d", got, draft.ID)
	}
	want := []string{
		"GET /repos/org/app/releases/tags/v9.0.0",
		"GET /repos/org/app/releases?per_page=100",
		"GET /repos/org/app/releases?page=2&per_page=100",
	}
	if diff := cmp.Diff(want, requests(s)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestFindReleaseNotFound(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t)
	s.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0"})
	c, _ := newClient(t, s)

	_, err := c.FindRelease(context.Background(), "org", "app", "v2.0.0")
	if !errors.Is(err, githubapi.ErrReleaseNotFound) {
		t.Fatalf("err = %v, want ErrReleaseNotFound", err)
	}
	if want := "finding release v2.0.0 in org/app: release not found"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message %q, want prefix %q", err, want)
	}

	// A repository that is not there (or not visible) is not "no release":
	// the caller must not conclude the tag is free.
	_, err = c.FindRelease(context.Background(), "org", "gone", "v1.0.0")
	if errors.Is(err, githubapi.ErrReleaseNotFound) || githubapi.StatusCode(err) != 404 {
		t.Errorf("unknown repository: err = %v, want a 404 that is not ErrReleaseNotFound", err)
	}
}

func TestEditReleaseBody(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t, ghtest.WithToken(token))
	rel := s.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Name: "One", Body: "old"})
	c, _ := newClient(t, s)
	ctx := context.Background()

	got, err := c.EditReleaseBody(ctx, "org", "app", rel.ID, "new notes")
	if err != nil {
		t.Fatal(err)
	}
	if got.Body != "new notes" || got.Name != "One" {
		t.Errorf("returned %+v, want new body and the old name", got)
	}
	if stored, _ := s.Release("org", "app", "v1.0.0"); stored.Body != "new notes" || stored.Name != "One" {
		t.Errorf("stored %+v", stored)
	}

	_, err = c.EditReleaseBody(ctx, "org", "app", 424242, "x")
	if !errors.Is(err, githubapi.ErrReleaseNotFound) {
		t.Errorf("missing release: err = %v, want ErrReleaseNotFound", err)
	}

	_, err = c.EditReleaseBody(ctx, "org", "app", rel.ID, strings.Repeat("x", 125001))
	if githubapi.StatusCode(err) != 422 || !strings.Contains(err.Error(), "body is too long (maximum is 125000 characters)") {
		t.Errorf("body too long: err = %v, want GitHub's 422 spelled out", err)
	}
}

func TestCreateDraftRelease(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t, ghtest.WithToken(token))
	s.AddRepo("org", "app")
	c, _ := newClient(t, s)
	ctx := context.Background()

	got, err := c.CreateDraftRelease(ctx, "org", "app", "v1.0.0", "ledger")
	if err != nil {
		t.Fatal(err)
	}
	stored, ok := s.Release("org", "app", "v1.0.0")
	if !ok || !stored.Draft || stored.Body != "ledger" || got.ID != stored.ID || !got.Draft {
		t.Errorf("created %+v, stored %+v", got, stored)
	}

	_, err = c.CreateDraftRelease(ctx, "org", "app", "v1.0.0", "again")
	if !errors.Is(err, githubapi.ErrReleaseExists) || githubapi.StatusCode(err) != 422 {
		t.Errorf("second create: err = %v, want ErrReleaseExists", err)
	}
}

// A POST that failed with a 5xx may or may not have created the release:
// the client looks before it tries again.
func TestCreateDraftReleaseAfterServerError(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t)
	s.AddRepo("org", "app")
	c, _ := newClient(t, s)
	s.FailNext(1, ghtest.ServerError(502))

	if _, err := c.CreateDraftRelease(context.Background(), "org", "app", "v1.0.0", "ledger"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"POST /repos/org/app/releases",
		"GET /repos/org/app/releases/tags/v1.0.0",
		"GET /repos/org/app/releases?per_page=100",
		"POST /repos/org/app/releases",
	}
	if diff := cmp.Diff(want, requests(s)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if n := len(s.Releases("org", "app")); n != 1 {
		t.Errorf("%d releases, want 1", n)
	}
}
