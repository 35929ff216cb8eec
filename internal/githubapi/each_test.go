package githubapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
)

// TestEachReleaseWalksEveryPage: 250 releases in three pages of 100, drafts
// included, newest first.
func TestEachReleaseWalksEveryPage(t *testing.T) {
	t.Parallel()
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	for i := range 250 {
		gh.AddRelease("org", "app", ghtest.Release{TagName: fmt.Sprintf("v0.%d.0", i), Draft: i%50 == 0})
	}
	c, _ := githubapi.New(githubapi.Config{Token: "t0ken", BaseURL: gh.URL})
	var tags []string
	if err := c.EachRelease(context.Background(), "org", "app", func(r *githubapi.Release) error {
		tags = append(tags, r.TagName)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(tags) != 250 || tags[0] != "v0.249.0" {
		t.Errorf("%d releases, first %q", len(tags), tags[0])
	}
	pages := 0
	for _, r := range gh.Requests() {
		if strings.Contains(r.String(), "/releases") {
			pages++
		}
	}
	if pages != 3 {
		t.Errorf("%d requests, want 3 pages", pages)
	}
}

// TestEachReleaseStopsALoop: a next link that points back at a page
// already read is an error after two requests, not a walk to --timeout.
func TestEachReleaseStopsALoop(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Link", fmt.Sprintf(`<%s/repos/org/app/releases?page=1&per_page=100>; rel="next"`, srv.URL))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"id":1,"tag_name":"v1","body":""}]`)
	}))
	defer srv.Close()
	c, _ := githubapi.New(githubapi.Config{Token: "t0ken", BaseURL: srv.URL})
	err := c.EachRelease(context.Background(), "org", "app", func(*githubapi.Release) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "pagination loops") || n.Load() > 2 {
		t.Errorf("err %v after %d requests", err, n.Load())
	}
}

// TestEachReleaseRefusesANextItCannotFollow: a page
// whose Link names the next page by cursor (after=) ended the list
// quietly after page 1. It is now an error (exit 3), never the end.
func TestEachReleaseRefusesANextItCannotFollow(t *testing.T) {
	t.Parallel()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", fmt.Sprintf(`<%s/repos/org/app/releases?per_page=100&after=Y3Vyc29yOnYyOpK0>; rel="next"`, srv.URL))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"id":1,"tag_name":"v1","body":""}]`)
	}))
	defer srv.Close()
	c, _ := githubapi.New(githubapi.Config{Token: "t0ken", BaseURL: srv.URL})
	n := 0
	err := c.EachRelease(context.Background(), "org", "app", func(*githubapi.Release) error { n++; return nil })
	if errkind.ExitCode(err) != 3 || !strings.Contains(fmt.Sprint(err), "cannot follow") {
		t.Errorf("%v (exit %d): want exit 3 saying the next page cannot be followed", err, errkind.ExitCode(err))
	}
}

// TestOversizedPageIsRefused: release pages were
// decoded whole; a hostile server's 38 MB bodies took 414 MB. A body over
// MaxBody is refused with a message that says so, by its length or as it
// is read (a chunked answer has none).
func TestOversizedPageIsRefused(t *testing.T) {
	t.Parallel()
	big := `[{"id":1,"tag_name":"v1","body":"` + strings.Repeat("x", githubapi.MaxBody) + `"}]`
	for _, chunked := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if !chunked {
				w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			}
			for i := 0; i < len(big); i += 1 << 20 {
				_, _ = io.WriteString(w, big[i:min(i+1<<20, len(big))])
				if f, ok := w.(http.Flusher); ok && chunked {
					f.Flush()
				}
			}
		}))
		c, _ := githubapi.New(githubapi.Config{Token: "t0ken", BaseURL: srv.URL, Retry: githubapi.RetryPolicy{MaxAttempts: 1}})
		err := c.EachRelease(context.Background(), "org", "app", func(*githubapi.Release) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "larger than 16 MiB") {
			t.Errorf("chunked %v: %v: want the size named", chunked, err)
		}
		srv.Close()
	}
}
