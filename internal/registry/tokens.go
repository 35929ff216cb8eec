package registry

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// minToken is the shortest token a token service's answer may register
// for masking.
const minToken = 16

// tokenWatch hands every bearer token a token service issues to note
// before go-containerregistry uses it, so the caller can mask it: a token
// is a secret the runner must never print, and a registry error may echo
// it. Token requests are the ones outside the registry API (/v2/) that
// answer JSON with a token.
type tokenWatch struct {
	inner http.RoundTripper
	note  func(user, secret string)
}

func (w tokenWatch) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.inner.RoundTrip(req)
	if err != nil || w.note == nil || strings.HasPrefix(req.URL.Path, "/v2/") || resp.StatusCode != http.StatusOK {
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
	if json.Unmarshal(b, &t) == nil {
		for _, s := range []string{t.Token, t.AccessToken, t.RefreshToken} {
			// A real bearer token is long (a JWT, an opaque 32-byte value).
			// A short one from a hostile token service would only make the
			// masker blank ordinary words ("sha256", "true") everywhere.
			if len(s) >= minToken {
				w.note("", s)
			}
		}
	}
	return resp, nil
}
