package registry

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/refs"
)

// TestNamedInsecureHostPaginates: a plain-HTTP registry named in
// --insecure-registry by a host name (not loopback, RFC 1918 or *.local,
// which go-containerregistry speaks HTTP to anyway), whose tag list has
// two pages: the client speaks HTTP to it from the first request, so the
// next page's http link agrees with the registry's scheme.
func TestNamedInsecureHostPaginates(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		if r.URL.Query().Get("last") == "" {
			w.Header().Set("Link", `</v2/org/app/tags/list?n=1000&last=a>; rel="next"`)
			fmt.Fprint(w, `{"name":"org/app","tags":["a"]}`)
			return
		}
		fmt.Fprint(w, `{"name":"org/app","tags":["b"]}`)
	}))
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	c, err := New(Config{Transport: tr, Attempts: 1, Insecure: []string{"registry.example:5003"}})
	if err != nil {
		t.Fatal(err)
	}
	tag, err := refs.ParseTag("registry.example:5003/org/app:1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	tags, err := c.Tags(context.Background(), tag.Context())
	if err != nil || len(tags) != 2 {
		t.Fatalf("Tags = %v, %v; want [a b]", tags, err)
	}
}

// TestNamedInsecureHostHTTPRealm: the same host with token auth whose
// realm is plain HTTP too (Harbor or distribution without TLS): every
// repository, not only the first, gets its token over HTTP.
func TestNamedInsecureHostHTTPRealm(t *testing.T) {
	const host = "registry.example:5003"
	body := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/token":
			fmt.Fprint(w, `{"token":"tok123456789abcdef"}`)
		case r.Header.Get("Authorization") != "Bearer tok123456789abcdef":
			w.Header().Set("WWW-Authenticate", `Bearer realm="http://`+host+`/token",service="x"`)
			w.WriteHeader(401)
		case strings.Contains(r.URL.Path, "/manifests/"):
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Docker-Content-Digest", "sha256:0000000000000000000000000000000000000000000000000000000000000000")
			fmt.Fprint(w, body)
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	c, err := New(Config{Transport: tr, Attempts: 1, Insecure: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{host + "/org/app:1.0.0", host + "/other/app:1.0.0"} {
		tag, err := refs.ParseTag(ref)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Resolve(context.Background(), tag); err != nil {
			t.Errorf("%s: %v", ref, err)
		}
	}
}
