package registry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// flaky answers with the given statuses in turn, then 200.
func flaky(t *testing.T, statuses []int, header http.Header) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(statuses[i])
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRetrierRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	srv, n := flaky(t, []int{503, 502, 429}, nil)
	rt := &retrier{inner: http.DefaultTransport, attempts: 5, base: time.Millisecond, max: 10 * time.Millisecond}
	resp, err := (&http.Client{Transport: rt}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || n.Load() != 4 {
		t.Errorf("status %d after %d requests, want 200 after 4", resp.StatusCode, n.Load())
	}
}

func TestRetrierHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	srv, n := flaky(t, []int{429}, http.Header{"Retry-After": {"1"}})
	rt := &retrier{inner: http.DefaultTransport, attempts: 5, base: time.Millisecond, max: time.Millisecond}
	start := time.Now()
	resp, err := (&http.Client{Transport: rt}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("retried after %s, want the 1s Retry-After honoured", waited)
	}
	if n.Load() != 2 {
		t.Errorf("%d requests, want 2", n.Load())
	}
}

func TestRetrierStopsAtDeadline(t *testing.T) {
	t.Parallel()
	srv, n := flaky(t, []int{429, 429}, http.Header{"Retry-After": {"120"}})
	rt := &retrier{inner: http.DefaultTransport, attempts: 5, base: time.Millisecond, max: time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	start := time.Now()
	_, err := rt.RoundTrip(req)
	if err == nil || !strings.Contains(err.Error(), "429 Too Many Requests; a retry in 2m0s would pass --timeout") {
		t.Errorf("err %v: want the refused wait explained", err)
	}
	if n.Load() != 1 || time.Since(start) > time.Second {
		t.Errorf("%d requests in %s; want one, at once, since waiting 120s would pass the deadline", n.Load(), time.Since(start))
	}
}

func TestRetrierGivesUp(t *testing.T) {
	t.Parallel()
	srv, n := flaky(t, []int{500, 500, 500, 500, 500, 500}, nil)
	rt := &retrier{inner: http.DefaultTransport, attempts: 3, base: time.Millisecond, max: time.Millisecond}
	resp, err := (&http.Client{Transport: rt}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 || n.Load() != 3 {
		t.Errorf("got %d after %d requests, want 500 after 3", resp.StatusCode, n.Load())
	}
}

func TestRetrierReplaysBody(t *testing.T) {
	t.Parallel()
	var bodies []string
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if n.Add(1) == 1 {
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	rt := &retrier{inner: http.DefaultTransport, attempts: 3, base: time.Millisecond, max: time.Millisecond}
	req, _ := http.NewRequest(http.MethodPut, srv.URL, strings.NewReader("manifest"))
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(bodies) != 2 || bodies[1] != "manifest" {
		t.Errorf("bodies %q, want the body sent twice", bodies)
	}
}

func TestSchemeGuard(t *testing.T) {
	t.Parallel()
	called := 0
	inner := roundTripFunc(func(*http.Request) (*http.Response, error) {
		called++
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})
	g := &schemeGuard{insecure: []string{"reg.internal:5000", "10.1.2.3"}, inner: inner}
	for url, allowed := range map[string]bool{
		"http://127.0.0.1:5000/v2/":     true,
		"http://localhost:5000/v2/":     true,
		"http://[::1]:5000/v2/":         true,
		"http://127.9.9.9/v2/":          true,
		"http://reg.internal:5000/v2/":  true,
		"http://10.1.2.3:443/v2/":       true,
		"http://reg.internal:6000/v2/":  false,
		"http://192.168.1.10:5000/v2/":  false,
		"http://registry.local/v2/":     false,
		"http://ghcr.io/token":          false,
		"https://192.168.1.10:5000/v2/": true,
	} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		_, err := g.RoundTrip(req)
		if (err == nil) != allowed {
			t.Errorf("%s: err %v, want allowed=%v", url, err, allowed)
		}
		if err != nil && !strings.Contains(err.Error(), "--insecure-registry") {
			t.Errorf("%s: error %q does not say how to allow it", url, err)
		}
	}
	if called != 7 {
		t.Errorf("inner called %d times, want 7", called)
	}
}

func TestLimiterBoundsInFlight(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int32
	inner := roundTripFunc(func(*http.Request) (*http.Response, error) {
		v := inFlight.Add(1)
		for {
			p := peak.Load()
			if v <= p || peak.CompareAndSwap(p, v) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})
	l := &limiter{slots: make(chan struct{}, 3), inner: inner}
	done := make(chan struct{})
	for range 20 {
		go func() {
			req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
			_, _ = l.RoundTrip(req)
			done <- struct{}{}
		}()
	}
	for range 20 {
		<-done
	}
	if peak.Load() > 3 {
		t.Errorf("peak %d requests in flight, want at most 3", peak.Load())
	}
}

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

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

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
