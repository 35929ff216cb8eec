package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// A token service's token is a secret like any other and is masked
// whatever its length; but a hostile service could name a common word as
// its token and have it blanked everywhere. So: a token under minToken
// characters is not credible and refused; one under longToken is masked
// only where it stands as a whole token (noteShort); a longer one
// everywhere, as every other secret (note).
const (
	minToken  = 8
	longToken = 16
)

// tokenWatch hands every bearer token a token service issues to note (or
// noteShort) before go-containerregistry uses it, so the caller can mask
// it: a token is a secret the runner must never print, and a registry
// error may echo it. Token requests are the ones outside the registry API
// (/v2/) that answer JSON with a token.
type tokenWatch struct {
	inner     http.RoundTripper
	note      func(user, secret string)
	noteShort func(token string)
}

// tokenRequest: a request to a token service, as go-containerregistry's
// bearer flow sends it (GET with service and scope, or a POST of a form),
// never a blob a registry redirected to its storage host, whose content
// may well be JSON with a "token" field.
func tokenRequest(req *http.Request) bool {
	if strings.HasPrefix(req.URL.Path, "/v2/") {
		return false
	}
	q := req.URL.Query()
	return q.Has("service") || q.Has("scope") || (req.Method == http.MethodPost && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded"))
}

func (w tokenWatch) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.inner.RoundTrip(req)
	if err != nil || !tokenRequest(req) || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	if rerr != nil {
		return resp, nil
	}
	var t struct {
		Token        string `json:"token"`
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(b, &t) != nil {
		return resp, nil
	}
	for _, s := range []string{t.Token, t.AccessToken, t.RefreshToken} {
		switch {
		case s == "":
		case len(s) < minToken:
			resp.Body.Close()
			return nil, fmt.Errorf("the token service at %s issued a token of %d characters: not credible (a real one is a JWT or a long random value), refused", req.URL.Host, len(s))
		case len(s) < longToken:
			if w.noteShort != nil {
				w.noteShort(s)
			}
		case w.note != nil:
			w.note("", s)
		}
	}
	return resp, nil
}
