// Package retry is the one retrying http.RoundTripper: the registry client
// and the GitHub client both stand on it, each with a policy that says
// which answers to wait out and for how long. It honours Retry-After (and
// whatever else a policy reads, such as GitHub's rate-limit headers), backs
// off with jitter, replays bodies, and never sleeps past the request's
// deadline: it says so instead.
package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// AttemptsHeader is set on an answer that took more than one try, so an
// error message can say how hard the client tried.
const AttemptsHeader = "Tagguard-Attempts"

// Verdict is a policy's reading of one answer.
type Verdict struct {
	// Retry asks for another try after Wait (0: the policy's backoff).
	Retry bool
	Wait  time.Duration
	// Fail, when set, replaces the answer with an error: at once when
	// Retry is false, or when a retry cannot be made (attempts used up,
	// or the wait would pass the deadline, which it is given; zero when
	// attempts ran out).
	Fail func(deadline time.Time) error
}

// Policy says what a Transport retries.
type Policy struct {
	Attempts int           // tries, the first included; default 5
	Base     time.Duration // first backoff, doubling with each retry; default 500ms
	Max      time.Duration // cap on one backoff, not on a wait the server asks for; default 30s
	// Sleep waits d or until ctx ends; default Sleep. Tests record
	// waits instead of taking them.
	Sleep func(ctx context.Context, d time.Duration) error
	// Judge reads an answer; default Statuses.
	Judge func(req *http.Request, resp *http.Response, attempt int) Verdict
	// Replay says whether a request whose connection broke before an
	// answer may be sent again; default every method.
	Replay func(req *http.Request) bool
	// Log, when set, hears of every retry: what is retried, why, and after
	// how long (--verbose).
	Log func(format string, args ...any)
}

// Statuses retries 408, 429 and 5xx, waiting as Retry-After says when it
// does: the registry policy.
func Statuses(_ *http.Request, resp *http.Response, _ int) Verdict {
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		wait, _ := RetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return Verdict{Retry: true, Wait: wait}
	}
	return Verdict{}
}

func (p Policy) withDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	if p.Base <= 0 {
		p.Base = 500 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 30 * time.Second
	}
	if p.Sleep == nil {
		p.Sleep = Sleep
	}
	if p.Judge == nil {
		p.Judge = Statuses
	}
	if p.Replay == nil {
		p.Replay = func(*http.Request) bool { return true }
	}
	return p
}

// Backoff is the wait before retry n (1, 2, ...): exponential, capped, with
// equal jitter (at least half the step), so retries from many jobs spread
// out but never come back at once.
func (p Policy) Backoff(n int) time.Duration {
	p = p.withDefaults()
	d := p.Base << min(n-1, 20)
	if d <= 0 || d > p.Max {
		d = p.Max
	}
	return d/2 + rand.N(d/2+1)
}

// Transport retries what its policy says.
type Transport struct {
	Inner  http.RoundTripper
	Policy Policy
}

// RoundTrip sends req, and again as the policy says.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := t.Policy.withDefaults()
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		try := req
		if attempt > 1 {
			try = rewind(req)
		}
		resp, err := t.Inner.RoundTrip(try)
		last := attempt >= p.Attempts || !rewindable(req)
		if err != nil {
			if attempt > 1 {
				err = fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			if last || ctx.Err() != nil || !p.Replay(req) || !Transient(err) {
				return nil, err
			}
			wait := p.Backoff(attempt)
			if !fits(ctx, wait) {
				return nil, pastDeadline(req, "a dropped connection", wait, attempt)
			}
			p.log(req, attempt, wait, "a dropped connection")
			if serr := p.Sleep(ctx, wait); serr != nil {
				return nil, serr
			}
			continue
		}
		v := p.Judge(req, resp, attempt)
		if !v.Retry {
			if v.Fail != nil {
				drain(resp)
				return nil, v.Fail(time.Time{})
			}
			return mark(resp, attempt), nil
		}
		wait := v.Wait
		if wait <= 0 {
			wait = p.Backoff(attempt)
		}
		if last || !fits(ctx, wait) {
			dl, _ := ctx.Deadline()
			if last {
				dl = time.Time{}
			}
			switch {
			case v.Fail != nil:
				drain(resp)
				return nil, v.Fail(dl)
			case !last:
				drain(resp)
				return nil, pastDeadline(req, resp.Status, wait, attempt)
			}
			return mark(resp, attempt), nil
		}
		drain(resp)
		p.log(req, attempt, wait, resp.Status)
		if serr := p.Sleep(ctx, wait); serr != nil {
			return nil, serr
		}
	}
}

func (p Policy) log(req *http.Request, attempt int, wait time.Duration, why string) {
	if p.Log != nil {
		p.Log("retry %d of %s %s after %s, in %s", attempt, req.Method, req.URL.Redacted(), why, wait.Round(time.Millisecond))
	}
}

func mark(resp *http.Response, attempt int) *http.Response {
	if attempt > 1 {
		resp.Header.Set(AttemptsHeader, strconv.Itoa(attempt))
	}
	return resp
}

// pastDeadline says plainly that waiting would outlive --timeout, rather
// than pass on a bare status the user cannot act on.
func pastDeadline(req *http.Request, what string, wait time.Duration, attempt int) error {
	dl, _ := req.Context().Deadline()
	return fmt.Errorf("%s %s: %s; a retry in %s would pass --timeout (%s left), giving up after %d attempt(s)",
		req.Method, req.URL.Redacted(), what, wait.Round(time.Second), time.Until(dl).Round(time.Second), attempt)
}

// fits reports whether waiting d still leaves the context's deadline ahead.
func fits(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Now().Add(d).Before(dl)
}

// Transient reports a connection that broke under the request. A refused
// connection is not transient: it means a wrong URL far more often than a
// blip, and retrying only delays saying so.
func Transient(err error) bool {
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

// rewind copies req with a fresh body for another attempt.
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

// RetryAfter parses a Retry-After header: delay-seconds or an HTTP date,
// measured from now (the server's clock where known). ok is false for an
// empty or unreadable value.
func RetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// Sleep waits d, or returns ctx's error as soon as ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
