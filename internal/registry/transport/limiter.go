package transport

import "net/http"

// limiter bounds the requests in flight across the whole client: --jobs.
type limiter struct {
	slots chan struct{}
	inner http.RoundTripper
}

func (l *limiter) RoundTrip(req *http.Request) (*http.Response, error) {
	// go-containerregistry's bearer transport sends the same request again
	// after a 401 (with a fresh token); a manifest body read by the first
	// try would then be empty ("ContentLength=401 with Body length 0") and
	// hide the registry's real answer. Each pass of a manifest write gets a
	// fresh copy of its bytes. Only manifests: a blob upload's body is a
	// stream from the source registry, and asking it again would fetch the
	// blob a second time (and wait on go-containerregistry's own limit of
	// pulls while holding a slot here).
	if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody && Endpoint(req.URL.Path) == "manifests" {
		if body, err := req.GetBody(); err == nil {
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
	select {
	case l.slots <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	defer func() { <-l.slots }()
	return l.inner.RoundTrip(req)
}
