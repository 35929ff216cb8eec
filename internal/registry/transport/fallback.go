package transport

import (
	"net/http"
	"sync"

	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/retry"
)

// httpFallback decides, per host and at request time, that a host named
// in --insecure-registry speaks plain HTTP: an HTTPS request to it whose
// TLS handshake meets an HTTP answer is sent again over HTTP, and the host
// is then spoken to over HTTP for the rest of the run. A reference parsed
// anywhere so works without knowing the option, as go-containerregistry's
// schemer decides per request. (The registry client also marks such a
// host insecure for go-containerregistry, so that its own checks of a
// URL's scheme agree: registry/home.go.)
type httpFallback struct {
	insecure Insecure
	inner    http.RoundTripper
	mu       sync.Mutex
	plain    map[string]bool // named host → found to speak plain HTTP
}

func (f *httpFallback) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Host
	if req.URL.Scheme != "https" || refs.IsLoopback(req.URL.Hostname()) || !f.insecure.Names(host) {
		return f.inner.RoundTrip(req)
	}
	f.mu.Lock()
	plain := f.plain[host]
	f.mu.Unlock()
	if plain {
		return f.inner.RoundTrip(overHTTP(req))
	}
	resp, err := f.inner.RoundTrip(req)
	if err != nil && retry.PlainHTTPAnswer(err) && (req.Body == nil || req.GetBody != nil) {
		f.mu.Lock()
		if f.plain == nil {
			f.plain = map[string]bool{}
		}
		f.plain[host] = true
		f.mu.Unlock()
		return f.inner.RoundTrip(overHTTP(req))
	}
	return resp, err
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
