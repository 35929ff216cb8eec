package registry

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/refs"
)

// schemeGuard refuses plain HTTP to any host that is neither loopback nor
// named as insecure. go-containerregistry would also speak HTTP to RFC 1918
// addresses and *.local names; credentials must never cross plain HTTP unless
// the operator said so.
//
// It also decides, per host and at request time, that a host named in
// --insecure-registry speaks plain HTTP: an HTTPS request to it whose TLS
// handshake meets an HTTP answer is sent again over HTTP, and the host is
// then spoken to over HTTP for the rest of the run. A reference parsed
// anywhere (pin, promote's sources) so works without knowing the option,
// as go-containerregistry's schemer decides per request.
type schemeGuard struct {
	insecure []string
	inner    http.RoundTripper
	mu       sync.Mutex
	resolved map[string]string                     // host → why it is refused ("" for fine), behind a proxy
	plain    map[string]bool                       // insecure host → found to speak plain HTTP
	proxy    func(*http.Request) (*url.URL, error) // the transport's; http.ProxyFromEnvironment when nil
}

func (g *schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.allowed(req.URL.Host) {
		return nil, fmt.Errorf("refusing plain HTTP to %s: only loopback hosts and hosts named in --insecure-registry may be reached without TLS", req.URL.Host)
	}
	if err := g.viaProxy(req); err != nil {
		return nil, err
	}
	named := req.URL.Scheme == "https" && g.named(req.URL.Host)
	if named {
		g.mu.Lock()
		plain := g.plain[req.URL.Host]
		g.mu.Unlock()
		if plain {
			return g.inner.RoundTrip(overHTTP(req))
		}
	}
	resp, err := g.inner.RoundTrip(req)
	if named && err != nil && speaksHTTP(err) && (req.Body == nil || req.GetBody != nil) {
		g.mu.Lock()
		if g.plain == nil {
			g.plain = map[string]bool{}
		}
		g.plain[req.URL.Host] = true
		g.mu.Unlock()
		return g.inner.RoundTrip(overHTTP(req))
	}
	return resp, err
}

// named: the host is in --insecure-registry (loopback aside, which
// go-containerregistry already speaks plain HTTP to).
func (g *schemeGuard) named(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return !refs.IsLoopback(host) && (slices.Contains(g.insecure, hostport) || slices.Contains(g.insecure, host))
}

// speaksHTTP: an HTTPS attempt met a server that answers in plain HTTP.
func speaksHTTP(err error) bool {
	var rh tls.RecordHeaderError
	return errors.As(err, &rh) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// overHTTP is req sent to the same place over plain HTTP.
func overHTTP(req *http.Request) *http.Request {
	r := req.Clone(req.Context())
	r.URL.Scheme = "http"
	if req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			r.Body = body
		}
	}
	return r
}

// viaProxy refuses, when the request goes through an HTTP(S) proxy, a host
// name that resolves to a link-local or metadata address: the dial guard
// then sees only the proxy's address, and the proxy would reach it for us.
func (g *schemeGuard) viaProxy(req *http.Request) error {
	proxy := g.proxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	if u, err := proxy(req); err != nil || u == nil {
		return nil
	}
	host := req.URL.Hostname()
	if net.ParseIP(host) != nil {
		return nil // an address: the reference grammar has judged it
	}
	g.mu.Lock()
	verdict, ok := g.resolved[host]
	g.mu.Unlock()
	if !ok {
		addrs, _ := net.DefaultResolver.LookupHost(req.Context(), host)
		for _, a := range addrs {
			if why := refs.Forbidden(a); why != "" {
				verdict = fmt.Sprintf("refusing %s: it resolves to %s, %s", host, a, why)
				break
			}
		}
		g.mu.Lock()
		if g.resolved == nil {
			g.resolved = map[string]string{}
		}
		g.resolved[host] = verdict
		g.mu.Unlock()
	}
	if verdict != "" {
		return errors.New(verdict)
	}
	return nil
}

func (g *schemeGuard) allowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return refs.IsLoopback(host) || slices.Contains(g.insecure, hostport) || slices.Contains(g.insecure, host)
}

// limiter bounds the requests in flight across the whole client: --jobs.
type limiter struct {
	slots chan struct{}
	inner http.RoundTripper
}

func (l *limiter) RoundTrip(req *http.Request) (*http.Response, error) {
	// go-containerregistry's bearer transport sends the same request again
	// after a 401 (with a fresh token); a manifest body read by the first
	// try would then be empty ("ContentLength=401 with Body length 0") and
	// hide the registry's real answer. Each pass of a manifest write gets a
	// fresh copy of its bytes. Only manifests: a blob upload's body is a
	// stream from the source registry, and asking it again would fetch the
	// blob a second time (and wait on go-containerregistry's own limit of
	// pulls while holding a slot here).
	if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody && endpoint(req.URL.Path) == "manifests" {
		if body, err := req.GetBody(); err == nil {
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
	select {
	case l.slots <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	defer func() { <-l.slots }()
	return l.inner.RoundTrip(req)
}

// dialGuard refuses, at connect time, an address ForbiddenHost refuses:
// a registry name that resolves to a link-local or metadata address must
// not reach it either, whatever a ledger or a redirect named.
func dialGuard(_, address string, _ syscall.RawConn) error {
	if why := refs.Forbidden(address); why != "" {
		return fmt.Errorf("refusing to connect to %s: it is %s", address, why)
	}
	return nil
}

// guardedTransport is go-containerregistry's default transport with
// dialGuard on every connection.
func guardedTransport() http.RoundTripper {
	t, ok := remote.DefaultTransport.(*http.Transport)
	if !ok {
		return remote.DefaultTransport
	}
	t = t.Clone()
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: dialGuard}
	t.DialContext = d.DialContext
	return t
}

// endpoint says which registry API a request path names: "manifests" for
// /v2/<name>/manifests/<reference>, "referrers" for
// /v2/<name>/referrers/<digest>, "" for anything else. The path's shape
// decides, not a substring: a repository may well be called
// ci/manifests/app, and its blobs are not manifests.
func endpoint(path string) string {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return ""
	}
	elems := strings.Split(rest, "/")
	if n := len(elems); n >= 3 {
		switch elems[n-2] {
		case "manifests", "referrers":
			return elems[n-2]
		}
	}
	return ""
}

// pingOnce asks each registry for its authentication challenge (GET /v2/)
// once per run. go-containerregistry pings again for every repository it
// opens a transport to, for reading and for writing; the answer (200, or
// 401 with its challenge) belongs to the registry, not the repository.
// Callers that arrive while the first ping is out wait for its answer; an
// answer that is neither 200 nor 401, or an error, is not kept, so the
// next caller asks again.
type pingOnce struct {
	inner http.RoundTripper
	// answers are the registries' answers, by "scheme://host"; a ping that
	// failed is forgotten, and its waiters each ask for themselves.
	answers fanout.Memo[string, pingAnswer]
}

type pingAnswer struct {
	status int
	header http.Header
}

func (p *pingOnce) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.URL.Path != "/v2/" || req.URL.RawQuery != "" || req.Header.Get("Authorization") != "" {
		return p.inner.RoundTrip(req)
	}
	var resp *http.Response // the first caller's own answer
	var err error
	a, ran, aerr := p.answers.Do(req.Context(), req.URL.Scheme+"://"+req.URL.Host, func() (pingAnswer, error) {
		resp, err = p.inner.RoundTrip(req)
		if err == nil && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized) {
			return pingAnswer{resp.StatusCode, resp.Header.Clone()}, nil
		}
		return pingAnswer{}, errPingNotKept
	})
	switch {
	case ran:
		return resp, err
	case errors.Is(aerr, errPingNotKept):
		return p.inner.RoundTrip(req)
	case aerr != nil:
		return nil, aerr
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", a.status, http.StatusText(a.status)), StatusCode: a.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: a.header.Clone(), Body: http.NoBody, Request: req,
	}, nil
}

// errPingNotKept is a ping whose answer is not one to share.
var errPingNotKept = errors.New("the ping's answer is not kept")
