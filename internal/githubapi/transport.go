package githubapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/tagguard/tagguard/internal/backoff"
)

// RetryPolicy tunes the retrying transport. Zero fields take the defaults
// given with each.
type RetryPolicy struct {
	// MaxAttempts bounds the tries of one request, the first included.
	// Default 5.
	MaxAttempts int
	// BaseDelay is the backoff before the first retry after a 5xx or a
	// dropped connection; it doubles with each retry, with jitter.
	// Default 1s. Rate limits wait as long as GitHub says instead.
	BaseDelay time.Duration
	// MaxDelay caps one backoff. Default 30s.
	MaxDelay time.Duration
	// Sleep waits d, or less if ctx ends first, returning ctx's error then.
	// Default: a timer. Tests replace it to record waits instead of taking
	// them.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.Sleep == nil {
		p.Sleep = backoff.Sleep
	}
	return p
}

// backoff is the wait before retry number n (1, 2, ...): exponential, capped,
// with "equal jitter" — at least half the step, so retries from many jobs
// spread out but never come back at once.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay << min(n-1, 20)
	if d <= 0 || d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// retryTransport sits beneath go-github and owns every retry decision.
//
// go-github v60 also remembers rate limits: after a response with
// x-ratelimit-remaining: 0, or a secondary limit with retry-after, it fails
// further calls itself (RateLimitError / AbuseRateLimitError) without a
// request until the reset. v60 offers no public way around that (its
// bypass context key is unexported), so this transport never lets go-github
// see a rate-limit answer: it waits one out, or turns it into a
// *RateLimitError of its own.
type retryTransport struct {
	next   http.RoundTripper
	policy RetryPolicy
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	secondaryHits := 0
	for attempt := 1; ; attempt++ {
		try := req
		if attempt > 1 {
			try = rewind(req)
		}
		resp, err := t.next.RoundTrip(try)
		last := attempt >= t.policy.MaxAttempts || !rewindable(req)

		if err != nil {
			if attempt > 1 {
				err = fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			if last || ctx.Err() != nil || !idempotent(req.Method) || !transient(err) {
				return nil, err
			}
			if wait := t.policy.backoff(attempt); fits(ctx, wait) {
				if serr := t.policy.Sleep(ctx, wait); serr != nil {
					return nil, serr
				}
				continue
			}
			return nil, err
		}

		if rl := rateLimited(resp, time.Now()); rl != nil {
			// GitHub refused without acting, so even a POST may be retried.
			drain(resp)
			if rl.Secondary && rl.Wait == 0 {
				secondaryHits++
				rl.Wait = secondaryWait << min(secondaryHits-1, 4)
				rl.Reset = time.Now().Add(rl.Wait)
			}
			if last {
				return nil, rl
			}
			if dl, ok := ctx.Deadline(); ok && !fits(ctx, rl.Wait) {
				rl.Deadline = dl
				return nil, rl
			}
			if serr := t.policy.Sleep(ctx, rl.Wait); serr != nil {
				return nil, serr
			}
			continue
		}

		if retryableStatus(resp.StatusCode) && idempotent(req.Method) && !last {
			wait := t.policy.backoff(attempt)
			if v := resp.Header.Get("Retry-After"); v != "" {
				wait = retryAfter(v, time.Now())
			}
			if fits(ctx, wait) {
				drain(resp)
				if serr := t.policy.Sleep(ctx, wait); serr != nil {
					return nil, serr
				}
				continue
			}
		}

		if attempt > 1 {
			resp.Header.Set(attemptsHeader, strconv.Itoa(attempt))
		}
		// A last successful request can leave remaining at 0; go-github
		// would then refuse the next call by itself until the reset.
		// Without the reset header it cannot: the next request goes out,
		// and if GitHub refuses it, the wait above is ours to take.
		if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
			resp.Header.Del("X-Ratelimit-Reset")
		}
		return resp, nil
	}
}

// attemptsHeader tells describe, through go-github's error, how many times
// a failure was tried. It exists only between this transport and describe.
const attemptsHeader = "Tagguard-Attempts"

// fits reports whether waiting d still leaves the context's deadline ahead.
func fits(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Now().Add(d).Before(dl)
}

// idempotent methods may be sent again after GitHub failed to answer.
// PATCH is included because tagguard's edits set fields to values, so a
// repeat leaves the same result. POST is not: GitHub may have created the
// release before its front end answered 502.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodPatch:
		return true
	}
	return false
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// transient reports a connection that broke under the request. A refused
// connection is not transient: it means a wrong URL far more often than a
// blip, and retrying only delays saying so.
func transient(err error) bool {
	var ne net.Error
	return errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		(errors.As(err, &ne) && ne.Timeout())
}

func rewindable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// rewind copies req with a fresh body for another attempt. Callers check
// rewindable first.
func rewind(req *http.Request) *http.Request {
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			r.Body = body
		}
	}
	return r
}

// drain reads a little of a discarded body so the connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
