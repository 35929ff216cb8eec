package retry

import (
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
	"time"
)

// LogRequests tells log every request sent: method, URL (without user info
// or query), status and time (--verbose). Put beneath the retrier, each
// attempt is its own line; the masker stands between log and a terminal.
func LogRequests(inner http.RoundTripper, log func(format string, args ...any)) http.RoundTripper {
	return requestLog{inner: inner, log: log}
}

type requestLog struct {
	inner http.RoundTripper
	log   func(format string, args ...any)
}

func (l requestLog) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := l.inner.RoundTrip(req)
	u := *req.URL
	if resp != nil && resp.Request != nil && resp.Request.URL != nil {
		// What was sent, which a transport beneath may have changed (the
		// registry stack's fallback sends a named insecure host's
		// request over plain HTTP): the log never claims TLS not used.
		u = *resp.Request.URL
	}
	u.RawQuery = "" // a token service's query names scopes, an upload's may hold state
	if err != nil {
		if u.Scheme == "https" && PlainHTTPAnswer(err) {
			// go-containerregistry tries HTTPS before plain HTTP for a
			// loopback host (a named insecure one is sent again over
			// HTTP beneath, by the registry stack): expected, not a fault.
			l.log("%s %s: speaks plain HTTP, not HTTPS; trying http:// (%s)", req.Method, u.Redacted(), time.Since(start).Round(time.Millisecond))
			return nil, err
		}
		l.log("%s %s: %v (%s)", req.Method, u.Redacted(), err, time.Since(start).Round(time.Millisecond))
		return nil, err
	}
	l.log("%s %s %d (%s)", req.Method, u.Redacted(), resp.StatusCode, time.Since(start).Round(time.Millisecond))
	return resp, nil
}

// PlainHTTPAnswer reports that an HTTPS request met a server answering
// in plain HTTP: what the -v log explains, and what the registry stack's
// fallback for a named insecure host acts on.
func PlainHTTPAnswer(err error) bool {
	var rh tls.RecordHeaderError
	return errors.As(err, &rh) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}
