package transport

import (
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// referrersProbe notes, for a listing that carries a Probe, that the
// registry answered the referrers API with an index (not a 404 that
// sends go-containerregistry to the fallback tag).
type referrersProbe struct{ inner http.RoundTripper }

func (r referrersProbe) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.inner.RoundTrip(req)
	if pr, ok := req.Context().Value(probeKey{}).(*Probe); ok && err == nil && Endpoint(req.URL.Path) == "referrers" &&
		resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), string(types.OCIImageIndex)) {
		pr.api.Store(true)
	}
	return resp, err
}

// announcedDigest notes, for a manifest GET that carries an Announced,
// the Docker-Content-Digest it was answered with.
type announcedDigest struct{ inner http.RoundTripper }

func (r announcedDigest) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.inner.RoundTrip(req)
	if a, ok := req.Context().Value(announcedKey{}).(*Announced); ok && err == nil &&
		req.Method == http.MethodGet && Endpoint(req.URL.Path) == "manifests" && resp.StatusCode == http.StatusOK {
		a.set(strings.TrimSpace(resp.Header.Get("Docker-Content-Digest")))
	}
	return resp, err
}
