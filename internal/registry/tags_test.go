package registry

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/errkind"
)

// TestTagListThatLoopsStops: a registry whose next link
// points back at a page already read, or whose cursor does not advance,
// is a registry failure after a handful of requests, not ~58,000 in 20 s.
func TestTagListThatLoopsStops(t *testing.T) {
	t.Parallel()
	for name, next := range map[string]func(last string) string{
		"next points back at the first page": func(string) string { return "/v2/org/app/tags/list" },
		"cursor does not advance":            func(string) string { return "/v2/org/app/tags/list?n=2&last=b" },
	} {
		var requests atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v2/" {
				return
			}
			requests.Add(1)
			last := r.URL.Query().Get("last")
			w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next(last+"x")))
			fmt.Fprint(w, `{"name":"org/app","tags":["a","b"]}`)
		}))
		c, _ := New(Config{Attempts: 1})
		repo, _ := nameRepo(strings.TrimPrefix(srv.URL, "http://") + "/org/app")
		_, err := c.Tags(context.Background(), repo)
		if errkind.Of(err) != errkind.Remote || !strings.Contains(err.Error(), "pagination loops") {
			t.Errorf("%s: err %v, want a remote failure naming the loop", name, err)
		}
		if n := requests.Load(); n > 4 {
			t.Errorf("%s: %d tag-list requests before stopping", name, n)
		}
		srv.Close()
	}
}

// TestTagListThatNeverEndsStops: a cursor that moves but never ends stops
// at a page count no real repository needs.
func TestTagListThatNeverEndsStops(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		n := requests.Add(1)
		w.Header().Set("Link", fmt.Sprintf(`</v2/org/app/tags/list?n=2&last=t%07d>; rel="next"`, n))
		fmt.Fprintf(w, `{"name":"org/app","tags":["t%07d"]}`, n)
	}))
	defer srv.Close()
	c, _ := New(Config{Attempts: 1})
	repo, _ := nameRepo(strings.TrimPrefix(srv.URL, "http://") + "/org/app")
	_, err := c.Tags(context.Background(), repo)
	if errkind.Of(err) != errkind.Remote || !strings.Contains(err.Error(), "did not end after 2000 pages") {
		t.Errorf("err %v", err)
	}
	if n := requests.Load(); n != 2000 {
		t.Errorf("%d requests, want 2000", n)
	}
}

func nameRepo(s string) (name.Repository, error) { return name.NewRepository(s) }
