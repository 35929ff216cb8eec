package transport

import (
	"net/http"
	"strings"
)

// pageGuard stops a tag listing that loops, before the request is sent.
type pageGuard struct{ inner http.RoundTripper }

func (g pageGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if p, ok := req.Context().Value(pagesKey{}).(*Pages); ok && req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/tags/list") {
		if err := p.admit(req.URL.Redacted()); err != nil {
			return nil, err
		}
	}
	return g.inner.RoundTrip(req)
}
