package ghtest

import (
	"net"
	"net/http"
	"strings"
	"time"
)

// Documentation links GitHub puts in rate-limit answers. go-github and
// other clients recognise a secondary limit by the suffix of the second.
const (
	primaryDocs   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
	secondaryDocs = "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// Fault is a failure the server answers with instead of handling a request.
// Build one with PrimaryRateLimit, SecondaryRateLimit, TooManyRequests,
// ServerError, Unprocessable or ConnectionReset.
type Fault struct {
	kind    faultKind
	status  int
	wait    time.Duration
	message string
}

type faultKind int

const (
	primary faultKind = iota
	secondary
	serverError
	connReset
	unprocessable
)

// PrimaryRateLimit is GitHub's answer once the hourly quota is spent: 403,
// x-ratelimit-remaining: 0 and x-ratelimit-reset resetIn from now.
func PrimaryRateLimit(resetIn time.Duration) Fault {
	return Fault{kind: primary, status: http.StatusForbidden, wait: resetIn,
		message: "API rate limit exceeded for installation ID 4242. If you reach out to GitHub Support for help, please include the request ID C0DE:1234:5678:9ABC:DEF0 and timestamp 2026-11-23 10:00:00 UTC."}
}

// SecondaryRateLimit is GitHub's 403 for too many requests in a burst. When
// retryAfter is positive it is sent as retry-after (whole seconds); GitHub
// does not always send one.
func SecondaryRateLimit(retryAfter time.Duration) Fault {
	return Fault{kind: secondary, status: http.StatusForbidden, wait: retryAfter,
		message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID C0DE:1234:5678:9ABC:DEF0."}
}

// TooManyRequests is a secondary rate limit answered with 429, the status
// GitHub increasingly uses for it, with retry-after when positive.
func TooManyRequests(retryAfter time.Duration) Fault {
	f := SecondaryRateLimit(retryAfter)
	f.status = http.StatusTooManyRequests
	return f
}

// ServerError answers status, which should be a 5xx: 500 with GitHub's JSON
// error, 502 and 504 with the HTML page of its front end, 503 with JSON.
func ServerError(status int) Fault {
	return Fault{kind: serverError, status: status}
}

// Unprocessable is a 422 that is not a name taken: GitHub's answer to a
// request it finds invalid, with its message.
func Unprocessable(message string) Fault {
	return Fault{kind: unprocessable, status: http.StatusUnprocessableEntity, message: message}
}

// ConnectionReset drops the connection without an answer, as a load
// balancer does when a backend goes away.
func ConnectionReset() Fault { return Fault{kind: connReset} }

// FailNext makes the next n requests, whatever their endpoint, answer f.
// Calls queue up: FailNext(1, a); FailNext(2, b) answers a, b, b.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// serve writes the fault over the rate-limit headers already set.
func (f Fault) serve(w http.ResponseWriter) {
	h := w.Header()
	switch f.kind {
	case primary:
		h.Set("X-Ratelimit-Remaining", "0")
		h.Set("X-Ratelimit-Used", itoa(rateLimit))
		h.Set("X-Ratelimit-Reset", itoa(int(time.Now().Add(f.wait).Unix())))
		writeError(w, f.status, f.message, primaryDocs)
	case secondary:
		if f.wait > 0 {
			h.Set("Retry-After", itoa(int((f.wait+time.Second-1)/time.Second)))
		}
		writeError(w, f.status, f.message, secondaryDocs)
	case serverError:
		switch f.status {
		case http.StatusBadGateway, http.StatusGatewayTimeout:
			h.Set("Content-Type", "text/html")
			w.WriteHeader(f.status)
			_, _ = w.Write([]byte("<html><body><h1>" + http.StatusText(f.status) + "</h1>\n<p>We didn't receive a timely response from our servers.</p></body></html>\n"))
		default:
			writeError(w, f.status, "Server Error", "")
		}
	case unprocessable:
		writeError(w, f.status, f.message, "https://docs.github.com/rest/releases/assets")
	case connReset:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("ghtest: ResponseWriter cannot hijack")
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			panic("ghtest: hijacking connection: " + err.Error())
		}
		// Linger 0 turns Close into a TCP RST instead of an orderly FIN.
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	}
}

// atRequest is a fault or an event for the next request of a method whose
// path contains part.
type atRequest struct {
	method, part string
	fault        *Fault
	before       func()
}

// FailNextAt makes the next request of method whose path contains part
// answer f, wherever it comes in a flow: an asset upload refused, say.
func (s *Server) FailNextAt(method, part string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, atRequest{method: method, part: part, fault: &f})
}

// BeforeNextAt runs fn just before the next request of method whose path
// contains part is answered: a release published while a client was
// between two requests, say. fn may call the server's methods.
func (s *Server) BeforeNextAt(method, part string, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, atRequest{method: method, part: part, before: fn})
}

// takeAt takes the first fault and the first event queued for r: both
// may be set for one request (an upload stored, then answered 502). s.mu
// is held.
func (s *Server) takeAt(r *http.Request) (fault *Fault, before func()) {
	keep := s.at[:0]
	for _, a := range s.at {
		switch {
		case a.method != r.Method || !strings.Contains(r.URL.Path, a.part):
		case a.fault != nil && fault == nil:
			fault = a.fault
			continue
		case a.before != nil && before == nil:
			before = a.before
			continue
		}
		keep = append(keep, a)
	}
	s.at = keep
	return fault, before
}
