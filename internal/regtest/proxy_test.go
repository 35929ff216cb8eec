package regtest

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestFaultProxyFailsNthManifestPut(t *testing.T) {
	t.Parallel()
	s := InProcess(t)
	PushImage(t, s.Ref("app:src"))
	p := FaultProxy(t, s.URL, FailManifestPut(2, http.StatusInternalServerError, "boom"))
	s.ResetCounts()

	src, _ := name.ParseReference(p.Ref("app:src"))
	desc, err := remote.Get(src, noRetry)
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, tag := range []string{"a", "b", "c"} {
		dst, _ := name.ParseReference(p.Ref("app:" + tag))
		errs = append(errs, remote.Put(dst, desc, noRetry))
	}
	var terr *transport.Error
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("PUTs 1 and 3: %v, %v; want both to pass", errs[0], errs[2])
	}
	if !errors.As(errs[1], &terr) || terr.StatusCode != http.StatusInternalServerError {
		t.Errorf("PUT 2: %v, want the injected 500", errs[1])
	}
	if got := p.Counts().ManifestPut; got != 3 {
		t.Errorf("proxy saw %d manifest PUTs, want 3", got)
	}
	if got := s.Counts().ManifestPut; got != 2 {
		t.Errorf("registry saw %d manifest PUTs, want 2 (the failed one is not forwarded)", got)
	}
	if a := do(t, "HEAD", s.URL+"/v2/app/manifests/b", "Accept", acceptAll); a.status != http.StatusNotFound {
		t.Errorf("tag b after its failed PUT: HEAD = %d, want 404", a.status)
	}
}

func TestFaultProxyRateLimit(t *testing.T) {
	t.Parallel()
	s := InProcess(t)
	p := FaultProxy(t, s.URL, RateLimit(KindPing, 2, 1))
	var statuses []int
	for range 3 {
		a := do(t, "GET", p.URL+"/v2/")
		statuses = append(statuses, a.status)
		if a.status == http.StatusTooManyRequests && a.header.Get("Retry-After") != "1" {
			t.Errorf("429 with Retry-After %q, want 1", a.header.Get("Retry-After"))
		}
	}
	if diff := cmp.Diff([]int{429, 429, 200}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := s.Counts().Ping; got != 1 {
		t.Errorf("registry saw %d pings, want 1", got)
	}
}

func TestFaultProxyUnavailableOnceAndDrop(t *testing.T) {
	t.Parallel()
	s := InProcess(t)
	PushImage(t, s.Ref("app:1.0"))
	p := FaultProxy(t, s.URL, UnavailableOnce(KindManifestHead), DropConnection(KindManifestGet, 1))
	head := p.URL + "/v2/app/manifests/1.0"
	if a := do(t, "HEAD", head, "Accept", acceptAll); a.status != http.StatusServiceUnavailable {
		t.Errorf("first HEAD = %d, want 503", a.status)
	}
	a := do(t, "HEAD", head, "Accept", acceptAll)
	if a.status != http.StatusOK || a.header.Get("Docker-Content-Digest") == "" || a.header.Get("Content-Length") == "" {
		t.Errorf("second HEAD = %d with headers %v, want 200 with digest and length passed through", a.status, a.header)
	}

	req, _ := http.NewRequestWithContext(t.Context(), "GET", head, nil)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("GET on a dropped connection answered %d, want an error", resp.StatusCode)
	}
	if a := do(t, "GET", head, "Accept", acceptAll); a.status != http.StatusOK {
		t.Errorf("GET after the drop = %d, want 200", a.status)
	}
}

func TestFaultProxyInProcessPushThrough(t *testing.T) {
	t.Parallel()
	s := InProcess(t)
	p := FaultProxy(t, s.Host)
	want := PushIndex(t, p.Ref("app:1.0"))
	if diff := cmp.Diff(p.Counts(), s.Counts()); diff != "" {
		t.Errorf("proxy and upstream counts differ (-proxy +upstream):\n%s", diff)
	}
	if got := headDigest(t, s.Ref("app:1.0")); got != want {
		t.Errorf("upstream has %v, want %v", got, want)
	}
}

func TestFaultProxyRewritesLocation(t *testing.T) {
	t.Parallel()
	d := Distribution(t, WithHtpasswd(User, Password))
	p := FaultProxy(t, d.URL)

	a := do(t, "POST", p.URL+"/v2/app/blobs/uploads/", "Authorization", basic(User, Password))
	if a.status != http.StatusAccepted {
		t.Fatalf("starting an upload through the proxy = %d: %s", a.status, a.body)
	}
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil || loc.Host != p.Host {
		t.Errorf("Location %q (%v), want it on the proxy host %s", a.header.Get("Location"), err, p.Host)
	}

	before := p.Counts().Blob
	want := As(User, Password).PushImage(t, p.Ref("app:1.0"))
	if got := headDigest(t, d.Ref("app:1.0"), remote.WithAuth(As(User, Password).Auth)); got != want {
		t.Errorf("upstream has %v, want %v", got, want)
	}
	// Per blob: HEAD, POST, PUT (go-containerregistry uploads monolithically),
	// and 2 blobs (layer, config): with the Location rewritten every step goes
	// through the proxy.
	if got := p.Counts().Blob - before; got < 6 {
		t.Errorf("proxy saw %d blob requests for a push, want at least 6", got)
	}
}

func basic(user, password string) string {
	r, _ := http.NewRequest("GET", "http://x", nil)
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}
