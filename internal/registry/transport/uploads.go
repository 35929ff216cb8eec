package transport

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// cancelTimeout bounds the DELETE that closes an abandoned upload.
const cancelTimeout = 5 * time.Second

// uploadCanceller closes a blob upload session the run abandons: when a
// PATCH or PUT of an upload fails because the run was interrupted or ran
// out of --timeout, it sends DELETE to the session's location, as the
// distribution spec provides, so no half-written upload stays open on the
// target. The DELETE carries the request's own credentials (the token for
// that repository) and is bounded by a context of its own: the run's is
// over.
type uploadCanceller struct {
	inner http.RoundTripper
	// cancelled hears of each session closed, for tests; may be nil.
	cancelled func(url string, status int, err error)
}

func (u uploadCanceller) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := u.inner.RoundTrip(req)
	if err == nil || req.Context().Err() == nil || !isUploadSession(req) {
		return resp, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), cancelTimeout)
	defer cancel()
	del, derr := http.NewRequestWithContext(ctx, http.MethodDelete, req.URL.String(), nil)
	if derr == nil {
		if auth := req.Header.Get("Authorization"); auth != "" {
			del.Header.Set("Authorization", auth)
		}
		del.Header.Set("User-Agent", req.Header.Get("User-Agent"))
		status := 0
		dresp, derr := u.inner.RoundTrip(del)
		if derr == nil {
			status = dresp.StatusCode
			dresp.Body.Close()
		}
		if u.cancelled != nil {
			u.cancelled(req.URL.Path, status, derr)
		}
	}
	return resp, err
}

// isUploadSession: a PATCH or PUT to /v2/<name>/blobs/uploads/<session>.
func isUploadSession(req *http.Request) bool {
	if req.Method != http.MethodPatch && req.Method != http.MethodPut {
		return false
	}
	_, session, ok := strings.Cut(req.URL.Path, "/blobs/uploads/")
	return ok && strings.HasPrefix(req.URL.Path, "/v2/") && strings.Trim(session, "/") != ""
}
