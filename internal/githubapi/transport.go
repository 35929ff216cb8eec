package githubapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/tagguard/tagguard/internal/retry"
)

// RetryPolicy tunes the retries of GitHub requests. Zero fields take the
// defaults given with each.
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
		p.Sleep = retry.Sleep
	}
	return p
}

// policy is GitHub's retry policy on the one retrying transport.
//
// go-github v60 also remembers rate limits: after a response with
// x-ratelimit-remaining: 0, or a secondary limit with retry-after, it fails
// further calls itself without a request until the reset, and v60 offers
// no public way around that. So go-github never sees a rate-limit answer:
// it is waited out, or becomes a *RateLimitError of tagguard's own.
//
// Writes are never sent again as they were: another writer may have
// changed what the body was built from (two record steps merging into one
// release's notes). A write GitHub refused for now, or whose answer was
// lost, comes back as an error that RetryAfter recognises, and the caller
// reads again before it writes again.
func (p RetryPolicy) policy() retry.Policy {
	return retry.Policy{
		Attempts: p.MaxAttempts, Base: p.BaseDelay, Max: p.MaxDelay, Sleep: p.Sleep,
		Judge:  judge,
		Replay: func(req *http.Request) bool { return !isWrite(req.Method) },
	}
}

// judge reads one GitHub answer.
func judge(req *http.Request, resp *http.Response, attempt int) retry.Verdict {
	if rl := rateLimited(resp, time.Now()); rl != nil {
		if rl.Secondary && rl.Wait == 0 {
			// GitHub: "wait for at least one minute", longer each time.
			rl.Wait = secondaryWait << min(attempt-1, 4)
			rl.Reset = time.Now().Add(rl.Wait)
		}
		fail := func(deadline time.Time) error {
			rl.Deadline = deadline
			return rl
		}
		if isWrite(req.Method) {
			return retry.Verdict{Fail: fail}
		}
		return retry.Verdict{Retry: true, Wait: rl.Wait, Fail: fail}
	}
	if retryableStatus(resp.StatusCode) && !isWrite(req.Method) {
		wait := time.Duration(0)
		if v := resp.Header.Get("Retry-After"); v != "" {
			wait = retryAfter(v, time.Now())
		}
		return retry.Verdict{Retry: true, Wait: wait}
	}
	// A last successful request can leave remaining at 0; go-github would
	// then refuse the next call by itself until the reset. Without the
	// reset header it cannot: the next request goes out, and if GitHub
	// refuses it, the wait is the judge's to take.
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		resp.Header.Del("X-Ratelimit-Reset")
	}
	return retry.Verdict{}
}

// isWrite: every method but the reads. A read may be sent again at will.
func isWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// writeRetryWait is how long a caller waits before reading again after a
// write failed without GitHub saying how long.
const writeRetryWait = time.Second

// RetryAfter says whether a failed write may be tried again, after how
// long, once the caller has read again what it writes: a rate limit
// (GitHub says how long), a 5xx, or a connection that broke before an
// answer (the write may or may not have landed).
func RetryAfter(err error) (time.Duration, bool) {
	var rl *RateLimitError
	switch {
	case err == nil:
		return 0, false
	case errors.As(err, &rl):
		return rl.Wait, true
	case retryableStatus(StatusCode(err)), retry.Transient(err):
		return writeRetryWait, true
	}
	return 0, false
}
