package githubapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tagguard/tagguard/internal/report"
	"github.com/tagguard/tagguard/internal/retry"
)

// RateLimitError reports that GitHub's rate limit refused a request and that
// waiting for it to lift was not possible: the wait would pass the caller's
// deadline, or the limit held through every retry.
type RateLimitError struct {
	// Secondary is true for a secondary (burst) limit, false for the
	// hourly quota.
	Secondary bool
	// StatusCode is GitHub's answer: 403 or 429.
	StatusCode int
	// Message is GitHub's message, cleaned for printing.
	Message string
	// Limit and Resource describe the quota (5000, "core"), when GitHub said.
	Limit    int
	Resource string
	// Reset is when GitHub allows requests again, on this machine's clock.
	Reset time.Time
	// Wait is how long that was from GitHub's answer.
	Wait time.Duration
	// Deadline is the deadline that waiting would have passed; zero when
	// retries ran out instead.
	Deadline time.Time
}

// Error says which limit, GitHub's words, when it lifts, and why tagguard
// did not wait for it.
func (e *RateLimitError) Error() string {
	kind := "rate limit"
	switch {
	case e.Secondary:
		kind = "secondary rate limit"
	case e.Limit > 0 && e.Resource != "":
		kind = fmt.Sprintf("rate limit (%d requests an hour for %s)", e.Limit, e.Resource)
	}
	s := fmt.Sprintf("GitHub %s reached (%d: %s); requests may resume at %s (in %s)",
		kind, e.StatusCode, e.Message, e.Reset.UTC().Format(time.RFC3339), e.Wait.Round(time.Second))
	if !e.Deadline.IsZero() {
		return s + fmt.Sprintf(", after this run's deadline of %s: run again then, or allow a longer timeout", e.Deadline.UTC().Format(time.RFC3339))
	}
	return s + ", and it held through every retry"
}

// secondaryWait is GitHub's advice for a secondary limit that names no
// time: "wait for at least one minute before retrying", longer each time.
const secondaryWait = time.Minute

// rateLimited reads a 403 or 429 the way GitHub documents it
// (docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api):
// retry-after, when present, says how long to wait; otherwise
// x-ratelimit-remaining: 0 means wait until x-ratelimit-reset; otherwise a
// message about a secondary limit (or any 429) means wait at least a
// minute. Wait is left 0 in that last case for the caller to choose. A 403
// that is none of these (no permission) returns nil.
func rateLimited(resp *http.Response, now time.Time) *RateLimitError {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return nil
	}
	h := resp.Header
	msg, docs := peekError(resp)
	e := &RateLimitError{
		StatusCode: resp.StatusCode,
		Message:    report.Clip(msg, 300),
		Resource:   h.Get("X-Ratelimit-Resource"),
		Secondary:  h.Get("X-Ratelimit-Remaining") != "0",
	}
	e.Limit, _ = strconv.Atoi(h.Get("X-Ratelimit-Limit"))
	// GitHub's clock, when it says, so that a runner's skewed clock does
	// not turn the reset time into a wait of hours or of nothing.
	serverNow := now
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		serverNow = d
	}
	switch {
	case h.Get("Retry-After") != "":
		e.Wait = retryAfter(h.Get("Retry-After"), serverNow)
	case !e.Secondary:
		reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64)
		if err != nil {
			e.Wait = secondaryWait
			break
		}
		// Reset has whole-second precision: add one so the retry lands after it.
		e.Wait = max(time.Unix(reset, 0).Sub(serverNow)+time.Second, time.Second)
	case resp.StatusCode == http.StatusTooManyRequests,
		strings.Contains(strings.ToLower(msg), "secondary rate limit"),
		strings.Contains(docs, "secondary-rate-limits"),
		strings.Contains(docs, "abuse-rate-limits"):
		// Wait decided by the caller, who knows how many times it happened.
	default:
		return nil
	}
	e.Reset = now.Add(e.Wait)
	return e
}

// retryAfter parses a Retry-After header: delay-seconds, or an HTTP date.
func retryAfter(v string, serverNow time.Time) time.Duration {
	if d, ok := retry.RetryAfter(v, serverNow); ok {
		return d
	}
	return secondaryWait
}

// peekError reads GitHub's error message and documentation link and puts
// the body back for whoever reads the response next.
func peekError(resp *http.Response) (message, docs string) {
	if resp.Body == nil {
		return "", ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	var body struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	if json.Unmarshal(b, &body) != nil {
		return string(b), ""
	}
	return body.Message, body.DocumentationURL
}
