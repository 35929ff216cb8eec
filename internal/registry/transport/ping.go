package transport

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/tagguard/tagguard/internal/fanout"
)

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
	// scheme is what answered: https, or http where httpFallback
	// (fallback.go) found the host to speak plain HTTP. go-containerregistry reads it
	// off the answer's request (its challenge's Insecure) to allow an
	// http token realm: every later caller must see the same.
	scheme string
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
			scheme := req.URL.Scheme
			if resp.Request != nil && resp.Request.URL != nil {
				scheme = resp.Request.URL.Scheme
			}
			return pingAnswer{resp.StatusCode, resp.Header.Clone(), scheme}, nil
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
	answered := req
	if a.scheme != "" && a.scheme != req.URL.Scheme {
		answered = req.Clone(req.Context())
		answered.URL.Scheme = a.scheme
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", a.status, http.StatusText(a.status)), StatusCode: a.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: a.header.Clone(), Body: http.NoBody, Request: answered,
	}, nil
}

// errPingNotKept is a ping whose answer is not one to share.
var errPingNotKept = errors.New("the ping's answer is not kept")
