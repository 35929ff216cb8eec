package registry

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tagguard/tagguard/internal/backoff"
)

// schemeGuard refuses plain HTTP to any host that is neither loopback nor
// named as insecure. go-containerregistry would also speak HTTP to RFC 1918
// addresses and *.local names; credentials must never cross plain HTTP unless
// the operator said so.
type schemeGuard struct {
	insecure []string
	inner    http.RoundTripper
}

func (g *schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.allowed(req.URL.Host) {
		return nil, fmt.Errorf("refusing plain HTTP to %s: only loopback hosts and hosts named in --insecure-registry may be reached without TLS", req.URL.Host)
	}
	return g.inner.RoundTrip(req)
}

func (g *schemeGuard) allowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return IsLoopback(host) || slices.Contains(g.insecure, hostport) || slices.Contains(g.insecure, host)
}

// IsLoopback reports whether host (without port) is localhost or a loopback IP.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// limiter bounds the requests in flight across the whole client: --jobs.
type limiter struct {
	slots chan struct{}
	inner http.RoundTripper
}

func (l *limiter) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case l.slots <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	defer func() { <-l.slots }()
	return l.inner.RoundTrip(req)
}

// retrier retries 408, 429, 5xx and dropped connections with exponential
// backoff and jitter, honouring Retry-After, and never sleeps past the
// request's deadline (--timeout). go-containerregistry's own retry ignores
// Retry-After, so it is switched off and this one is in charge.
type retrier struct {
	inner    http.RoundTripper
	attempts int           // total tries, first included
	base     time.Duration // first backoff
	max      time.Duration // cap on one backoff (not on Retry-After)
}

var retryStatus = map[int]bool{
	http.StatusRequestTimeout:      true,
	http.StatusTooManyRequests:     true,
	http.StatusInternalServerError: true,
	http.StatusBadGateway:          true,
	http.StatusServiceUnavailable:  true,
	http.StatusGatewayTimeout:      true,
}

func (r *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		resp, err := r.inner.RoundTrip(req)
		if !retryable(resp, err) || attempt >= r.attempts || ctx.Err() != nil {
			return resp, err
		}
		wait := r.backoff(attempt)
		if resp != nil {
			if ra, ok := backoff.RetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				wait = ra
			}
		}
		if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
			// Waiting would outlive --timeout: say so now, rather than
			// pass on a bare status the user cannot act on.
			what := "a dropped connection"
			if resp != nil {
				what = resp.Status
				resp.Body.Close()
			}
			return nil, fmt.Errorf("%s %s: %s; a retry in %s would pass --timeout (%s left), giving up after %d attempt(s)",
				req.Method, req.URL.Redacted(), what, wait.Round(time.Second), time.Until(dl).Round(time.Second), attempt)
		}
		if req.Body != nil && req.GetBody == nil {
			return resp, err // a body that cannot be replayed
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if err := backoff.Sleep(ctx, wait); err != nil {
			return nil, err
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("replaying request body: %w", err)
			}
			req = req.Clone(ctx)
			req.Body = body
		}
	}
}

func (r *retrier) backoff(attempt int) time.Duration {
	d := r.base << (attempt - 1)
	if d > r.max || d <= 0 {
		d = r.max
	}
	// Full jitter on half the delay: retries from many jobs spread out.
	return d/2 + rand.N(d/2+1)
}

func retryable(resp *http.Response, err error) bool {
	if err != nil {
		return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
			errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
	}
	return retryStatus[resp.StatusCode]
}
