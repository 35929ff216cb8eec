// Package ghtest runs an in-memory stand-in for the few GitHub REST API
// endpoints tagguard uses: releases (by tag, list, create, edit), branches
// and compare. It answers the way GitHub does — response shapes from GitHub's
// documentation, 404 for drafts looked up by tag, Link pagination, rate-limit
// headers on every response — so that client code is tested against the
// protocol rather than against a mock of itself.
//
// Tests can inject the faults GitHub really produces (primary and secondary
// rate limits, 429, 5xx, dropped connections), inspect every request that
// came, and declare requests that must come.
package ghtest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// The rate-limit window every server starts with: GitHub's authenticated
// quota of 5,000 requests an hour.
const (
	rateLimit  = 5000
	rateWindow = time.Hour
)

// Server is a fake GitHub REST API. Its methods are safe for concurrent use.
type Server struct {
	// URL is the API base URL to hand to a client, as GITHUB_API_URL would
	// be: http://127.0.0.1:PORT, or http://127.0.0.1:PORT/api/v3 for a server
	// started with Enterprise.
	URL string

	t      testing.TB
	srv    *httptest.Server
	prefix string // "/api/v3" for GitHub Enterprise Server, else ""
	token  string // required credential; "" accepts any request
	mux    *http.ServeMux

	mu        sync.Mutex
	repos     map[string]*repoState // by lower-case "owner/repo"
	nextID    int64
	faults    []Fault
	at        []atRequest // faults and events at a given request
	requests  []Request
	expected  []string
	remaining int
	reset     time.Time

	storage    *httptest.Server // the host asset downloads are redirected to
	leakedAuth int              // downloads that reached storage with credentials
	// storageRedirect, when set, is where storage sends every download.
	storageRedirect string
}

// Option configures a Server.
type Option func(*Server)

// WithToken makes the server require the token, sent as
// "Authorization: Bearer TOKEN" or "Authorization: token TOKEN"; anything
// else is answered 401 like GitHub does.
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// Enterprise serves the API under /api/v3, as GitHub Enterprise Server does,
// and nothing at the root.
func Enterprise() Option { return func(s *Server) { s.prefix = "/api/v3" } }

// New starts a server that is closed when the test ends. At that point it
// also fails the test for every request declared with Expect that never came.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		t:         t,
		repos:     map[string]*repoState{},
		nextID:    1000,
		remaining: rateLimit,
		reset:     time.Now().Add(rateWindow).Truncate(time.Second),
	}
	for _, o := range opts {
		o(s)
	}
	s.mux = s.newMux()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.storage = newStorage(s)
	s.URL = s.srv.URL + s.prefix
	t.Cleanup(func() {
		s.srv.Close()
		s.storage.Close()
		s.checkExpected()
	})
	return s
}

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // as sent, still escaped: /repos/o/r/releases/tags/v1
	Query  string // parameters sorted by name: page=2&per_page=100
}

// String renders the request as "GET /path?query", the form Expect takes.
func (r Request) String() string {
	if r.Query == "" {
		return r.Method + " " + r.Path
	}
	return r.Method + " " + r.Path + "?" + r.Query
}

// Requests returns every request received so far, in order, including those
// answered with a fault.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Expect declares requests, in the form of Request.String (path relative to
// the host, so including /api/v3 for Enterprise), that must arrive before
// the test ends. Order and repetitions are not checked; compare Requests for
// that.
func (s *Server) Expect(requests ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expected = append(s.expected, requests...)
}

func (s *Server) checkExpected() {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for _, r := range s.requests {
		seen[r.String()] = true
	}
	for _, e := range s.expected {
		if !seen[e] {
			s.t.Errorf("ghtest: expected request never came: %s", e)
		}
	}
}

// SetRemaining sets how many requests are left in the current rate-limit
// window. Each request uses one; once none is left, requests are answered
// 403 with x-ratelimit-remaining: 0 until the window resets, an hour after
// the server started.
func (s *Server) SetRemaining(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remaining = n
}

// serve records the request, then answers with an injected fault, an
// authentication or rate-limit refusal, or the endpoint's answer — the
// order in which GitHub's own layers would refuse it.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method,
		Path:   r.URL.EscapedPath(),
		Query:  sortedQuery(r.URL.RawQuery),
	})
	var fault *Fault
	if len(s.faults) > 0 {
		fault = &s.faults[0]
		s.faults = s.faults[1:]
	}
	atFault, before := s.takeAt(r)
	if fault == nil {
		fault = atFault
	}
	exhausted := s.remaining <= 0
	if !exhausted {
		s.remaining--
	}
	s.setRateHeaders(w.Header(), s.remaining)
	s.mu.Unlock()
	if before != nil {
		before() // outside the lock: it may change the server's state
	}

	w.Header().Set("X-GitHub-Request-Id", "C0DE:1234:5678:9ABC:DEF0")
	w.Header().Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	switch {
	case fault != nil:
		fault.serve(w)
	case !s.authorized(w, r):
	case exhausted:
		PrimaryRateLimit(time.Until(s.reset)).serve(w)
	default:
		s.route(w, r)
	}
}

// setRateHeaders writes the headers GitHub sends with every response.
// Callers hold s.mu.
func (s *Server) setRateHeaders(h http.Header, remaining int) {
	h.Set("X-Ratelimit-Limit", itoa(rateLimit))
	h.Set("X-Ratelimit-Remaining", itoa(remaining))
	h.Set("X-Ratelimit-Used", itoa(rateLimit-remaining))
	h.Set("X-Ratelimit-Reset", itoa(int(s.reset.Unix())))
	h.Set("X-Ratelimit-Resource", "core")
}

// authorized answers 401 unless the request carries the configured token in
// either of the two schemes GitHub accepts.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.token == "" {
		return true
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		writeError(w, http.StatusUnauthorized, "Requires authentication", "https://docs.github.com/rest")
		return false
	}
	scheme, cred, _ := strings.Cut(auth, " ")
	if (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "token")) && cred == s.token {
		return true
	}
	writeError(w, http.StatusUnauthorized, "Bad credentials", "https://docs.github.com/rest")
	return false
}

func sortedQuery(raw string) string {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return raw
	}
	return q.Encode() // Encode sorts by key
}
