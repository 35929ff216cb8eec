// Package githubapi is the only code in tagguard that speaks to GitHub: it
// finds, creates and edits releases, and asks whether a commit is on a
// branch. It uses go-github over a transport that retries what GitHub asks
// to be retried — rate limits, 5xx, dropped connections — within the
// caller's deadline, so callers see either an answer or an error that says
// what failed and what to do.
//
// Callers depend only on this package's types, never on go-github's.
package githubapi

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/retry"
)

// DefaultBaseURL is the API of github.com. GitHub Actions sets
// GITHUB_API_URL to it, or to https://HOST/api/v3 on GitHub Enterprise Server.
const DefaultBaseURL = "https://api.github.com"

// Config says how to reach GitHub.
type Config struct {
	// Token is sent as a bearer token. Empty means anonymous: public
	// repositories can still be read, at a far lower rate limit.
	Token string
	// BaseURL is the REST API root, as in GITHUB_API_URL; DefaultBaseURL
	// when empty. A trailing slash is optional. Plain http is accepted only
	// for loopback hosts, so a token never crosses a network unencrypted.
	BaseURL string
	// Transport carries the requests; http.DefaultTransport when nil. The
	// retrying transport wraps it.
	Transport http.RoundTripper
	// UserAgent identifies tagguard to GitHub; "tagguard" when empty.
	UserAgent string
	// Retry tunes retries; the zero value is the production policy.
	Retry RetryPolicy
	// Log, when set, hears of every request and retry (--verbose).
	Log func(format string, args ...any)
}

// Client talks to one GitHub instance. It is safe for concurrent use.
type Client struct {
	gh *github.Client
	// plain is the same retrying transport without the token: for the
	// hosts GitHub redirects asset downloads to.
	plain *http.Client
	token string
	retry RetryPolicy
}

// New returns a client for cfg. It makes no request.
func New(cfg Config) (*Client, error) {
	base, err := apiBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, errkind.New(errkind.BadInput, err)
	}
	next := cfg.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	policy := cfg.Retry.withDefaults()
	var inner http.RoundTripper = capBody{next}
	if cfg.Log != nil {
		inner = retry.LogRequests(inner, cfg.Log)
	}
	rp := policy.policy()
	rp.Log = cfg.Log
	gh := github.NewClient(&http.Client{Transport: &retry.Transport{Inner: inner, Policy: rp}})
	plain := &http.Client{Transport: &retry.Transport{Inner: inner, Policy: rp}}
	if cfg.Token != "" {
		gh = gh.WithAuthToken(cfg.Token)
	}
	// Set directly rather than through WithEnterpriseURLs, which appends
	// api/v3/ to any host not named api.* — wrong for GITHUB_API_URL, which
	// is already the API root (and for test servers).
	gh.BaseURL = base
	// Uploads go to the upload_url each release names; this default is
	// never used, and keeps a GitHub Enterprise token away from
	// uploads.github.com whatever happens.
	gh.UploadURL = base
	gh.UserAgent = cfg.UserAgent
	if gh.UserAgent == "" {
		gh.UserAgent = "tagguard"
	}
	return &Client{gh: gh, plain: plain, token: cfg.Token, retry: policy}, nil
}

// apiBaseURL checks raw and gives it the trailing slash go-github requires
// (without it, go-github refuses every request, and url resolution would
// drop the last path segment: /api/v3 + repos/... = /api/repos/...).
func apiBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("parsing GitHub API URL %q: want an absolute https URL such as %s or https://HOST/api/v3", raw, DefaultBaseURL)
	}
	if u.User != nil {
		// Do not echo raw: the user info may be a credential.
		return nil, fmt.Errorf("parsing GitHub API URL for %s: it must not contain credentials; pass the token separately", u.Host)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("parsing GitHub API URL %q: it must not have a query or fragment", raw)
	}
	if u.Scheme == "http" && !refs.IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("parsing GitHub API URL %q: plain http is allowed only for loopback hosts; use https", raw)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

// GitHub's rules for owner and repository names; checking them keeps a
// stray "/" or ".." from addressing another endpoint.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func checkRepo(owner, repo string) error {
	for _, n := range []string{owner, repo} {
		if !namePattern.MatchString(n) || n == "." || n == ".." {
			return errkind.BadInputf("%q is not a GitHub repository (want OWNER/NAME)", owner+"/"+repo)
		}
	}
	return nil
}

// MaxBody bounds one answer from GitHub: a page of 100 releases at GitHub's
// own limit of 125,000 characters of notes each is about 13 MB. go-github
// decodes a page whole, so a hostile server's larger body would cost many
// times its size in memory; past this it is refused.
const MaxBody = 16 << 20

// ErrBodyTooLarge is the error of an answer over MaxBody.
var ErrBodyTooLarge = fmt.Errorf("GitHub's answer is larger than %d MiB: refused (no page of releases is that large; a proxy or server gone wrong)", MaxBody>>20)

// capBody fails an answer over MaxBody: at once by its Content-Length,
// else as it is read.
type capBody struct{ inner http.RoundTripper }

func (c capBody) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.inner.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > MaxBody {
		resp.Body.Close()
		return nil, ErrBodyTooLarge
	}
	resp.Body = retry.CapBody(resp.Body, MaxBody, ErrBodyTooLarge)
	return resp, nil
}
