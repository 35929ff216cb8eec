package registry

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/refs"
)

func TestParseCredentialsNeverEchoesSecret(t *testing.T) {
	t.Parallel()
	_, err := ParseCredentials([]string{"ghcr.io=user:s3cret", "broken-s3cret-line"})
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "entry 2") {
		t.Errorf("error %v: want entry 2 named and no secret", err)
	}
	creds, err := ParseCredentials([]string{"docker.io=u:p:with:colons"})
	if err != nil || creds[0].Host != "index.docker.io" || creds[0].Secret != "p:with:colons" {
		t.Errorf("got %+v, %v", creds, err)
	}
}

func TestGHCRKeychain(t *testing.T) {
	t.Parallel()
	k := ghcrKeychain{user: "octocat", token: "ghs_token", owner: "Org"}
	for ref, wantToken := range map[string]bool{
		"ghcr.io/org/app":        true,
		"ghcr.io/other/tool":     false,
		"docker.io/org/app":      false,
		"registry.example/org/a": false,
	} {
		repo, err := name.NewRepository(ref)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := k.Resolve(repo)
		if got := a != authn.Anonymous; got != wantToken {
			t.Errorf("%s: token lent = %v, want %v", ref, got, wantToken)
		}
	}
	noOwner := ghcrKeychain{token: "ghs_token"}
	repo, _ := name.NewRepository("ghcr.io/other/tool")
	if a, _ := noOwner.Resolve(repo); a == authn.Anonymous {
		t.Error("without a known owner the token should be lent for ghcr.io")
	}
}

// TestPlainHTTPRegistryNamesTheFix: a plain-HTTP
// registry that is not loopback ended with Go's "server gave HTTP
// response to HTTPS client". The message now says what it is and names
// --insecure-registry.
func TestPlainHTTPRegistryNamesTheFix(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer srv.Close()
	// Every host dials the plain-HTTP test server, as a registry on the
	// network would answer.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	c, err := New(Config{Transport: tr, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	tag, err := refs.ParseTag("registry.example:5003/org/app:1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Resolve(context.Background(), tag)
	if err == nil || !strings.Contains(err.Error(), "speaks plain HTTP") || !strings.Contains(err.Error(), "--insecure-registry") {
		t.Errorf("%v: want the plain-HTTP answer recognised and --insecure-registry named", err)
	}
}
