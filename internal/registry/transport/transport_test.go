package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPlainGuard(t *testing.T) {
	t.Parallel()
	called := 0
	inner := roundTripFunc(func(*http.Request) (*http.Response, error) {
		called++
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})
	g := plainGuard{insecure: Insecure{"reg.internal:5000", "10.1.2.3"}, inner: inner}
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

// TestDialGuardRefusesLinkLocal: a registry name that resolves to a
// link-local or metadata address is refused at connect time, whatever
// named it (a ledger, a redirect, a token realm).
func TestDialGuardRefusesLinkLocal(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"169.254.169.254:80", "[fe80::1]:443", "100.100.100.200:80"} {
		if err := dialGuard("tcp", addr, nil); err == nil {
			t.Errorf("%s: dial allowed", addr)
		}
	}
	if err := dialGuard("tcp", "127.0.0.1:5000", nil); err != nil {
		t.Errorf("loopback: %v", err)
	}
}

// TestEveryIssuedTokenIsMasked: every token a token service issues is
// masked, a short one (8 to 15 characters) only where it stands whole, so
// a hostile service answering {"token":"password"} cannot get a common
// word blanked everywhere; one under 8 characters ("sha256") is not
// credible and refused.
func TestEveryIssuedTokenIsMasked(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"token":"sha256"}`: "error",
		`{"token":"Sh0rtT0ken12","access_token":"eyJhbGciOiJFUzI1NiJ9.long-enough-token.sig"}`: "short Sh0rtT0ken12, long eyJhbGciOiJFUzI1NiJ9.long-enough-token.sig",
	} {
		var noted []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, body)
		}))
		w := tokenWatch{inner: http.DefaultTransport,
			note:      func(_, s string) { noted = append(noted, "long "+s) },
			noteShort: func(s string) { noted = append(noted, "short "+s) }}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/token?service=registry&scope=repository:org/app:pull", nil)
		resp, err := w.RoundTrip(req)
		got := strings.Join(noted, ", ")
		if err != nil {
			got = "error"
			if !strings.Contains(err.Error(), "not credible") {
				t.Errorf("%s: %v", body, err)
			}
		} else {
			resp.Body.Close()
		}
		srv.Close()
		if got != want {
			t.Errorf("%s: noted %q, want %q", body, got, want)
		}
	}
}

// TestProxyDoesNotReachMetadata: behind HTTPS_PROXY the dial guard sees
// only the proxy's address; a registry name that resolves to a link-local
// address is refused before the request. A name looked up is looked up
// once a run, however many requests overlap; a lookup that failed is
// asked again, and refuses nothing (behind many proxies only the proxy
// resolves outside names).
func TestProxyDoesNotReachMetadata(t *testing.T) {
	t.Parallel()
	proxy, _ := url.Parse("http://127.0.0.1:9")
	var mu sync.Mutex
	lookups := map[string]int{}
	g := &proxyGuard{proxy: http.ProxyURL(proxy),
		lookup: func(_ context.Context, host string) ([]string, error) {
			mu.Lock()
			lookups[host]++
			n := lookups[host]
			mu.Unlock()
			switch {
			case host == "metadata.example":
				time.Sleep(10 * time.Millisecond) // so first requests overlap
				return []string{"10.0.0.1", "169.254.169.254"}, nil
			case host == "flaky.example" && n == 1:
				return nil, errors.New("temporary failure in name resolution")
			case host == "flaky.example":
				return []string{"169.254.169.254"}, nil
			}
			return []string{"127.0.0.1"}, nil
		},
		inner: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
		})}
	get := func(u string) error {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		_, err := g.RoundTrip(req)
		return err
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := get("https://metadata.example/v2/"); err == nil || !strings.Contains(err.Error(), "169.254.169.254") {
				t.Errorf("%v: want refused", err)
			}
		}()
	}
	wg.Wait()
	if err := get("https://localhost/v2/"); err != nil {
		t.Errorf("localhost: %v", err)
	}
	if err := get("https://flaky.example/v2/"); err != nil {
		t.Errorf("a failed lookup refused: %v", err)
	}
	if err := get("https://flaky.example/v2/"); err == nil {
		t.Error("a failed lookup was kept as fine")
	}
	if lookups["metadata.example"] != 1 || lookups["flaky.example"] != 2 {
		t.Errorf("lookups %v: want metadata.example once, flaky.example again after its failure", lookups)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// countingPings answers GET /v2/ with a Bearer challenge after a short
// wait (so callers overlap), and fails the first fail pings with a 503.
type countingPings struct {
	mu    sync.Mutex
	n     int
	fail  int
	other int
}

func (c *countingPings) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if req.URL.Path != "/v2/" || req.URL.RawQuery != "" {
		c.other++
		c.mu.Unlock()
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
	}
	c.n++
	failing := c.n <= c.fail
	c.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	if failing {
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
	}
	h := http.Header{}
	h.Set("WWW-Authenticate", `Bearer realm="https://auth.example/token",service="registry.example"`)
	return &http.Response{StatusCode: http.StatusUnauthorized, Header: h, Body: http.NoBody, Request: req}, nil
}

// TestPingOncePerRegistry: go-containerregistry pings for every repository
// transport it opens; the registry's challenge is asked once per run and
// handed to every later caller, concurrent ones included. A failed ping
// is not kept, and a ping with credentials, another host, another path or
// a query (a token realm at /v2/) always goes out.
func TestPingOncePerRegistry(t *testing.T) {
	t.Parallel()
	inner := &countingPings{}
	p := &pingOnce{inner: inner}
	get := func(url string, auth bool) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth {
			req.Header.Set("Authorization", "Basic eDp5")
		}
		resp, err := p.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp := get("https://registry.example/v2/", false)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `realm="https://auth.example/token"`) {
				t.Errorf("ping answer %d %v", resp.StatusCode, resp.Header)
			}
			if resp.Request == nil || resp.Request.URL.Scheme != "https" {
				t.Errorf("ping answer names no request of its scheme: %+v", resp.Request)
			}
		})
	}
	wg.Wait()
	if inner.n != 1 {
		t.Errorf("20 pings of one registry sent %d", inner.n)
	}
	get("https://other.example/v2/", false)
	get("http://registry.example/v2/", false)
	get("https://registry.example/v2/", true)
	get("https://registry.example/v2/org/app/manifests/1.0", false)
	get("https://registry.example/v2/?account=x", false)
	if inner.n != 4 || inner.other != 2 {
		t.Errorf("another host, another scheme and a ping with credentials: %d pings (want 4), %d other requests (want 1)", inner.n, inner.other)
	}

	failing := &countingPings{fail: 1}
	p = &pingOnce{inner: failing}
	if resp := get("https://registry.example/v2/", false); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("first ping: %d, want the registry's 503", resp.StatusCode)
	}
	if resp := get("https://registry.example/v2/", false); resp.StatusCode != http.StatusUnauthorized || failing.n != 2 {
		t.Errorf("after a failed ping: %d after %d pings; want it asked again", resp.StatusCode, failing.n)
	}
}

// TestBlobsAreNotTokens: a blob a registry redirected to its storage host
// is not a token service's answer, however much it looks like one: a
// layer holding {"token":"abc"} neither fails the copy nor masks words.
func TestBlobsAreNotTokens(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"token":"abc","access_token":"a-word-in-an-image"}`)
	}))
	defer srv.Close()
	var noted []string
	w := tokenWatch{inner: http.DefaultTransport, note: func(_, s string) { noted = append(noted, s) }, noteShort: func(s string) { noted = append(noted, s) }}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/docker/registry/v2/blobs/sha256/ab/abcd/data?X-Amz-Signature=x", nil)
	resp, err := w.RoundTrip(req)
	if err != nil || len(noted) > 0 {
		t.Fatalf("a blob read as a token answer: %v, noted %q", err, noted)
	}
	resp.Body.Close()
}

// TestNamedInsecureHostIsSpokenToOverHTTP: a host named in
// --insecure-registry (by name, not loopback) that speaks plain HTTP is
// found so at request time: the first HTTPS attempt meets an HTTP answer
// and is sent again over HTTP, and every later request goes over HTTP at
// once. The -v log names the scheme that was used. A host not named is
// never sent anything over plain HTTP.
func TestNamedInsecureHostIsSpokenToOverHTTP(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := []string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	named, other := "reg.internal:"+port, "other.internal:"+port
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	var logged []string
	rt := New(Config{Base: tr, Insecure: Insecure{named}, Jobs: 1, Attempts: 1, Log: func(f string, a ...any) {
		mu.Lock()
		logged = append(logged, fmt.Sprintf(f, a...))
		mu.Unlock()
	}})
	for _, path := range []string{"/v2/org/app/manifests/1.0.0", "/v2/org/app/manifests/2.0.0"} {
		req, _ := http.NewRequest(http.MethodGet, "https://"+named+path, nil)
		resp, err := rt.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %v", path, err)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest(http.MethodGet, "https://"+other+"/v2/org/app/manifests/1.0.0", nil)
	if _, err := rt.RoundTrip(req); err == nil {
		t.Error("a host not named was spoken to over plain HTTP")
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"GET /v2/org/app/manifests/1.0.0", "GET /v2/org/app/manifests/2.0.0"}; strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("the server saw %q, want %q (each request once, over HTTP)", seen, want)
	}
	var sentOverTLS, sentPlain int
	for _, l := range logged {
		if strings.Contains(l, "https://"+named) && strings.Contains(l, " 200 ") {
			sentOverTLS++
		}
		if strings.Contains(l, "http://"+named+"/v2/org/app/manifests/") && strings.Contains(l, " 200 ") {
			sentPlain++
		}
	}
	if sentOverTLS != 0 || sentPlain != 2 {
		t.Errorf("the -v log claims TLS, or misses a request:\n%s", strings.Join(logged, "\n"))
	}
}
