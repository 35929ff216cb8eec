package transport

import (
	"net/http"

	"github.com/tagguard/tagguard/internal/retry"
)

// manifestBound refuses a manifest or referrers body over max, by its
// length where it says, else as it is read: a manifest is never read
// whole past the bound.
type manifestBound struct {
	inner    http.RoundTripper
	max      int64
	tooLarge error
}

func (b manifestBound) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.inner.RoundTrip(req)
	if err == nil && req.Method == http.MethodGet && Endpoint(req.URL.Path) != "" && resp.StatusCode == http.StatusOK {
		if resp.ContentLength > b.max {
			resp.Body.Close()
			return nil, b.tooLarge
		}
		resp.Body = retry.CapBody(resp.Body, b.max, b.tooLarge)
	}
	return resp, err
}
