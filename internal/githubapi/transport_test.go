package githubapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
)

// Each fault is answered once, then the request succeeds; the client must
// have waited as GitHub asked, and made exactly one extra request.
func TestRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		fault            ghtest.Fault
		minWait, maxWait time.Duration
	}{
		// Reset is whole seconds on GitHub's clock, plus one second margin.
		{"primary 403", ghtest.PrimaryRateLimit(30 * time.Second), 30 * time.Second, 32 * time.Second},
		{"secondary 403 with retry-after", ghtest.SecondaryRateLimit(7 * time.Second), 7 * time.Second, 7 * time.Second},
		{"secondary 403 without retry-after", ghtest.SecondaryRateLimit(0), time.Minute, time.Minute},
		{"429 with retry-after", ghtest.TooManyRequests(3 * time.Second), 3 * time.Second, 3 * time.Second},
		{"500", ghtest.ServerError(500), 500 * time.Millisecond, time.Second},
		{"502", ghtest.ServerError(502), 500 * time.Millisecond, time.Second},
		{"503", ghtest.ServerError(503), 500 * time.Millisecond, time.Second},
		{"connection reset", ghtest.ConnectionReset(), 500 * time.Millisecond, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := ghtest.New(t, ghtest.WithToken(token))
			s.AddRelease("org", "app", ghtest.Release{TagName: "v1"})
			c, sl := newClient(t, s)
			s.FailNext(1, tc.fault)

			if _, err := c.FindRelease(context.Background(), "org", "app", "v1"); err != nil {
				t.Fatal(err)
			}
			waits := sl.all()
			if len(waits) != 1 || waits[0] < tc.minWait || waits[0] > tc.maxWait {
				t.Errorf("waits %v, want one in [%v, %v]", waits, tc.minWait, tc.maxWait)
			}
			if n := len(s.Requests()); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

// GitHub asks for ever longer waits while a secondary limit persists.
func TestSecondaryWaitGrows(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t)
	s.AddRelease("org", "app", ghtest.Release{TagName: "v1"})
	c, sl := newClient(t, s)
	s.FailNext(3, ghtest.SecondaryRateLimit(0))
	if _, err := c.FindRelease(context.Background(), "org", "app", "v1"); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute}
	if got := sl.all(); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("waits %v, want %v", got, want)
	}
}

// A reset beyond the deadline fails at once, saying when the limit lifts,
// rather than sleeping into the timeout.
func TestRateLimitPastDeadlineFailsFast(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault ghtest.Fault
		say   string
	}{
		{"primary", ghtest.PrimaryRateLimit(time.Hour), "GitHub rate limit (5000 requests an hour for core) reached (403: API rate limit exceeded"},
		{"secondary without retry-after", ghtest.SecondaryRateLimit(0), "GitHub secondary rate limit reached (403: You have exceeded a secondary rate limit"},
		{"429", ghtest.TooManyRequests(10 * time.Minute), "GitHub secondary rate limit reached (429: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := ghtest.New(t)
			s.AddRelease("org", "app", ghtest.Release{TagName: "v1"})
			c, sl := newClient(t, s)
			s.FailNext(1, tc.fault)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()

			// At once: the recorded waits, below, are none.
			_, err := c.FindRelease(ctx, "org", "app", "v1")
			var rl *githubapi.RateLimitError
			if !errors.As(err, &rl) || rl.Deadline.IsZero() {
				t.Fatalf("err = %v, want a RateLimitError naming the deadline", err)
			}
			msg := err.Error()
			for _, want := range []string{"finding release v1 in org/app: ", tc.say, "requests may resume at " + rl.Reset.UTC().Format(time.RFC3339), "after this run's deadline"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if len(sl.all()) != 0 {
				t.Errorf("slept %v", sl.all())
			}
		})
	}
}

// go-github v60 refuses requests by itself once a response said
// x-ratelimit-remaining: 0. The client must keep asking GitHub instead,
// and report the limit GitHub then answers with.
func TestNoShortCircuitAfterQuotaRunsOut(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t)
	s.AddRelease("org", "app", ghtest.Release{TagName: "v1"})
	c, _ := newClient(t, s)
	s.SetRemaining(1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	if _, err := c.FindRelease(ctx, "org", "app", "v1"); err != nil {
		t.Fatalf("last request of the window: %v", err)
	}
	_, err := c.FindRelease(ctx, "org", "app", "v1")
	var rl *githubapi.RateLimitError
	if !errors.As(err, &rl) || rl.Secondary {
		t.Fatalf("err = %v, want the primary RateLimitError", err)
	}
	if n := len(s.Requests()); n != 2 {
		t.Errorf("%d requests reached the server, want 2 (go-github must not short-circuit)", n)
	}
}

func TestServerErrorsExhaustRetries(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t)
	s.AddRelease("org", "app", ghtest.Release{TagName: "v1"})
	c, sl := newClient(t, s)
	s.FailNext(10, ghtest.ServerError(503))

	_, err := c.FindRelease(context.Background(), "org", "app", "v1")
	if githubapi.StatusCode(err) != 503 || !strings.Contains(err.Error(), "GitHub answered 503 Service Unavailable: Server Error (gave up after 5 attempts)") {
		t.Errorf("err = %v, want GitHub's 503", err)
	}
	if n, w := len(s.Requests()), len(sl.all()); n != 5 || w != 4 {
		t.Errorf("%d requests and %d waits, want 5 and 4", n, w)
	}
	for i, w := range sl.all() {
		if base := time.Second << i; w < base/2 || w > base {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, w, base/2, base)
		}
	}
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t, ghtest.WithToken("the-right-one"))
	c, sl := newClient(t, s) // sends token, which is wrong here
	_, err := c.FindRelease(context.Background(), "org", "app", "v1")
	if githubapi.StatusCode(err) != 401 || !strings.Contains(err.Error(), "401 Unauthorized: Bad credentials") {
		t.Errorf("err = %v, want 401 Bad credentials", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("the token leaked into %q", err)
	}
	if len(s.Requests()) != 1 || len(sl.all()) != 0 {
		t.Errorf("401 was retried: %v", requests(s))
	}
}

func TestEnterpriseBaseURL(t *testing.T) {
	t.Parallel()
	for _, suffix := range []string{"", "/"} {
		s := ghtest.New(t, ghtest.Enterprise(), ghtest.WithToken(token))
		s.AddRelease("org", "app", ghtest.Release{TagName: "v1"})
		c, err := githubapi.New(githubapi.Config{Token: token, BaseURL: s.URL + suffix})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.FindRelease(context.Background(), "org", "app", "v1"); err != nil {
			t.Errorf("BaseURL %q: %v", s.URL+suffix, err)
		}
		s.Expect("GET /api/v3/repos/org/app/releases/tags/v1")
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"http://github.example.com/api/v3", // token over plain http
		"ftp://github.example.com",
		"api.github.com",
		"https://x-access-token:hunter2@github.example.com/api/v3",
		"https://github.example.com/api/v3?x=1",
	} {
		_, err := githubapi.New(githubapi.Config{Token: token, BaseURL: u})
		if err == nil {
			t.Errorf("New(%q) accepted it", u)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("New(%q): error %q shows the credential", u, err)
		}
	}
	for _, u := range []string{"", "https://api.github.com/", "http://127.0.0.1:8080", "http://localhost/api/v3", "http://[::1]:9/api/v3"} {
		if _, err := githubapi.New(githubapi.Config{BaseURL: u}); err != nil {
			t.Errorf("New(%q): %v", u, err)
		}
	}
}

// Even a server that echoes the credential back cannot get it into an
// error message.
func TestTokenNeverInErrors(t *testing.T) {
	t.Parallel()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"message":"%s is not allowed here"}`, r.Header.Get("Authorization"))
	}))
	defer echo.Close()
	c, err := githubapi.New(githubapi.Config{Token: token, BaseURL: echo.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	errs := []error{}
	_, err = c.FindRelease(ctx, "org", "app", "v1")
	errs = append(errs, err)
	_, err = c.EditReleaseBody(ctx, "org", "app", 1, "x")
	errs = append(errs, err)
	_, err = c.Reachable(ctx, "org", "app", "abc", []string{"main"})
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "Bearer [redacted] is not allowed here") {
			t.Errorf("err = %v, want GitHub's message with the token masked", err)
		}
	}
}
