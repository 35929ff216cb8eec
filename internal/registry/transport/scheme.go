package transport

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
