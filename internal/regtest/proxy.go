package regtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Proxy is a reverse proxy on 127.0.0.1 in front of a registry that counts
// requests and injects faults. Create it with FaultProxy.
type Proxy struct {
	// Host is "127.0.0.1:PORT": use it in image references instead of the
	// upstream's host.
	Host string
	// URL is "http://127.0.0.1:PORT".
	URL string

	upstream *url.URL
	faults   []Fault
	counts   counter
	rp       *httputil.ReverseProxy
}

// FaultProxy starts a proxy in front of upstream ("127.0.0.1:PORT" or an
// http:// URL, e.g. Server.URL or DistributionServer.URL) that injects faults
// and forwards everything else untouched, except that upstream Location
// headers (blob uploads) and WWW-Authenticate realms naming the upstream are
// rewritten to name the proxy, so clients keep going through it. It is closed
// when the test ends.
func FaultProxy(t testing.TB, upstream string, faults ...Fault) *Proxy {
	t.Helper()
	if !strings.Contains(upstream, "://") {
		upstream = "http://" + upstream
	}
	up, err := url.Parse(upstream)
	if err != nil || up.Host == "" {
		t.Fatalf("parsing upstream %q: %v", upstream, err)
	}
	p := &Proxy{upstream: up, faults: faults}
	srv := httptest.NewUnstartedServer(p)
	p.Host = srv.Listener.Addr().String()
	p.URL = "http://" + p.Host

	transport := http.DefaultTransport.(*http.Transport).Clone()
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(up)
		},
		Transport:      transport,
		ModifyResponse: p.rewriteResponse,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			writeBody(w, http.StatusBadGateway, fmt.Sprintf("regtest proxy: forwarding to %s: %v", up.Host, err))
		},
	}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		transport.CloseIdleConnections()
	})
	return p
}

// Ref returns the reference of repoAndTag (e.g. "app:1.0") through the proxy.
func (p *Proxy) Ref(repoAndTag string) string {
	return p.Host + "/" + repoAndTag
}

// Counts returns how many requests of each kind the proxy has received,
// faulted ones included, since it started or since the last ResetCounts.
func (p *Proxy) Counts() Counts {
	return p.counts.snapshot()
}

// Duplicates returns each request (method and path) the proxy received more
// than once since it started or since the last ResetCounts, with how often.
func (p *Proxy) Duplicates() map[string]int {
	return p.counts.duplicates()
}

// ResetCounts sets all counts to zero. Fault positions (the "nth" request)
// count from zero again too.
func (p *Proxy) ResetCounts() {
	p.counts.reset()
}

// ServeHTTP injects the first matching fault or forwards the request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := Classify(r)
	n := p.counts.addRequest(kind, r.Method+" "+r.URL.Path)
	for _, f := range p.faults {
		if f.delay > 0 {
			time.Sleep(f.delay)
			continue
		}
		if f.kind == kind && f.match(n) {
			f.serve(w, r.WithContext(context.WithValue(r.Context(), forwardKey{}, p.rp)))
			return
		}
	}
	p.rp.ServeHTTP(w, r)
}

// forwardKey carries the proxy's forwarder to a fault that decides, once
// it sees the request, to let it through.
type forwardKey struct{}

// forward sends r on to the upstream, from inside a fault's serve.
func forward(w http.ResponseWriter, r *http.Request) {
	r.Context().Value(forwardKey{}).(http.Handler).ServeHTTP(w, r)
}

// Requests returns "METHOD /path" of each request the proxy received since
// it started or since the last ResetCounts, in arrival order.
func (p *Proxy) Requests() []string {
	return p.counts.requests()
}

// rewriteResponse points absolute upstream URLs in Location and in
// WWW-Authenticate realms at the proxy.
func (p *Proxy) rewriteResponse(resp *http.Response) error {
	if loc := resp.Header.Get("Location"); loc != "" {
		if u, err := url.Parse(loc); err == nil && u.IsAbs() && u.Host == p.upstream.Host {
			u.Scheme, u.Host = "http", p.Host
			resp.Header.Set("Location", u.String())
		}
	}
	if vals := resp.Header.Values("WWW-Authenticate"); len(vals) > 0 {
		origin := p.upstream.Scheme + "://" + p.upstream.Host
		resp.Header.Del("WWW-Authenticate")
		for _, v := range vals {
			resp.Header.Add("WWW-Authenticate", strings.ReplaceAll(v, origin, p.URL))
		}
	}
	return nil
}
