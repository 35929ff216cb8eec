package transport

import (
	"fmt"
	"net/http"
)

// plainGuard refuses plain HTTP to any host that is neither loopback nor
// named as insecure. go-containerregistry would also speak HTTP to RFC
// 1918 addresses and *.local names; credentials must never cross plain
// HTTP unless the operator said so.
type plainGuard struct {
	insecure Insecure
	inner    http.RoundTripper
}

func (g plainGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.insecure.Allows(req.URL.Host) {
		return nil, fmt.Errorf("refusing plain HTTP to %s: only loopback hosts and hosts named in --insecure-registry may be reached without TLS", req.URL.Host)
	}
	return g.inner.RoundTrip(req)
}
