package githubapi

import (
	"github.com/tagguard/tagguard/internal/report"

	"github.com/tagguard/tagguard/internal/retry"

	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Sentinel errors for the outcomes callers act on; test with errors.Is.
var (
	// ErrReleaseNotFound: no release, published or draft, has the tag or id.
	ErrReleaseNotFound = errors.New("release not found")
	// ErrReleaseExists: creating a release failed because one has the tag.
	ErrReleaseExists = errors.New("a release with this tag already exists")
)

// apiError is what every exported method returns on failure: a message
// built for people, free of the token and of line breaks, over the errors
// it came from, which stay reachable with errors.Is and errors.As.
type apiError struct {
	msg  string
	errs []error
}

func (e *apiError) Error() string   { return e.msg }
func (e *apiError) Unwrap() []error { return e.errs }

// fail wraps err with the context of what was being done ("finding release
// v1 in org/app") and, when kind is not nil, with a sentinel for callers.
func (c *Client) fail(err, kind error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...) + ": "
	if kind != nil {
		msg += kind.Error() + ": "
	}
	msg += describe(err)
	if c.token == "" {
		switch StatusCode(err) {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
			// GitHub hides private repositories behind 404 from anonymous callers.
			msg += " (no GitHub token was given; a private repository looks absent without one)"
		}
	}
	if c.token != "" {
		msg = strings.ReplaceAll(msg, c.token, "***")
	}
	errs := []error{err}
	if kind != nil {
		errs = []error{kind, err}
	}
	return &apiError{msg: report.Clip(msg, 1000), errs: errs}
}

// describe says what GitHub answered, shorter than go-github's messages
// and with GitHub's validation details spelled out.
func describe(err error) string {
	if errors.Is(err, ErrBodyTooLarge) {
		return ErrBodyTooLarge.Error()
	}
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.Error()
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		code := er.Response.StatusCode
		s := fmt.Sprintf("GitHub answered %d %s", code, http.StatusText(code))
		if m := report.Clip(er.Message, 300); m != "" && m != http.StatusText(code) {
			s += ": " + m
		}
		for _, fe := range er.Errors {
			switch {
			case fe.Message != "":
				s += "; " + report.Clip(fe.Message, 200)
			case fe.Code != "":
				s += fmt.Sprintf("; %s %s", fe.Field, fe.Code)
			}
		}
		if n := er.Response.Header.Get(retry.AttemptsHeader); n != "" {
			s += " (gave up after " + n + " attempts)"
		}
		if req := er.Response.Request; req != nil && req.URL != nil {
			s += fmt.Sprintf(" (%s %s)", req.Method, req.URL.Path)
		}
		return s
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprintf("%v (%s %s)", ue.Err, ue.Op, ue.URL)
	}
	return err.Error()
}

// StatusCode returns the HTTP status GitHub answered with for err, or 0
// when err carries none (a network failure, a timeout, bad input).
func StatusCode(err error) int {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.StatusCode
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// alreadyExists reports GitHub's 422 for a release whose tag is taken.
func alreadyExists(err error) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) {
		return false
	}
	for _, fe := range er.Errors {
		if fe.Code == "already_exists" {
			return true
		}
	}
	return false
}

// clean makes text from GitHub safe to print, with the one text cleaner.
