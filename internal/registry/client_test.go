package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestTagsFollowsLinkPagination serves a tag list in pages of two with the
// Link headers of the distribution spec; neither test registry paginates.
func TestTagsFollowsLinkPagination(t *testing.T) {
	t.Parallel()
	all := []string{"1.0.0", "1.1.0", "2.0.0", "latest", "sha-abc"}
	pages := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		if r.URL.Path != "/v2/org/app/tags/list" {
			http.NotFound(w, r)
			return
		}
		pages++
		start := 0
		if last := r.URL.Query().Get("last"); last != "" {
			start = slices.Index(all, last) + 1
		}
		end := min(start+2, len(all))
		if end < len(all) {
			w.Header().Set("Link", fmt.Sprintf(`</v2/org/app/tags/list?n=2&last=%s>; rel="next"`, all[end-1]))
		}
		fmt.Fprintf(w, `{"name":"org/app","tags":["%s"]}`, strings.Join(all[start:end], `","`))
	}))
	defer srv.Close()
	c, _ := New(Config{})
	repo, _ := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/org/app")
	tags, err := c.Tags(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tags, all) || pages != 3 {
		t.Errorf("got %v in %d pages, want %v in 3", tags, pages, all)
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	want := regtest.PushIndex(t, srv.Ref("org/app:1.0.0"))
	c, _ := New(Config{})
	ref, err := refs.ParseTag(srv.Ref("org/app:1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Resolve(context.Background(), ref)
	if err != nil || d.Digest != want || d.MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("Resolve = %+v, %v; want %s as an OCI index", d, err, want)
	}
	absent, _ := refs.ParseTag(srv.Ref("org/app:9.9.9"))
	if _, err := c.Resolve(context.Background(), absent); !errors.Is(err, ErrNotFound) {
		t.Errorf("absent tag: %v, want ErrNotFound", err)
	}
	other, _ := refs.ParseTag(srv.Ref("org/none:1.0.0"))
	if _, err := c.Resolve(context.Background(), other); !errors.Is(err, ErrNotFound) {
		t.Errorf("absent repository: %v, want ErrNotFound", err)
	}
	tags, err := c.Tags(context.Background(), other.Context())
	if err != nil || len(tags) != 0 {
		t.Errorf("tags of absent repository: %v, %v", tags, err)
	}
}

func TestBrokenDockerConfigIsBadInput(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{broken"), 0o600)
	t.Setenv("DOCKER_CONFIG", dir)
	_, err := New(Config{})
	if errkind.Of(err) != errkind.BadInput || !strings.Contains(err.Error(), "DOCKER_CONFIG") {
		t.Errorf("err %v, want bad input naming DOCKER_CONFIG", err)
	}
}

// TestTokenEndpoint404IsNotAbsent: a token endpoint answering 404 is a
// failure to read, never "the tag is absent" (which would let check pass).
func TestTokenEndpoint404IsNotAbsent(t *testing.T) {
	t.Parallel()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v2/") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+srv.URL+`/token",service="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	c, _ := New(Config{Attempts: 1})
	ref, err := refs.ParseTag(strings.TrimPrefix(srv.URL, "http://") + "/org/app:1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Resolve(context.Background(), ref)
	if err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("err %v: a 404 from the token endpoint must not read as absent", err)
	}
}
