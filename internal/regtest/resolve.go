package regtest

import (
	"context"
	"net"
	"net/http"
	"time"
)

// ResolveTo is an HTTP transport whose dialer sends name (HOST:PORT) to
// addr and every other address where it says: a registry reached by a
// host name, not loopback, as --insecure-registry reg.internal:5000 names
// one. (Loopback is always plain HTTP, which would hide a reference
// parsed with the wrong scheme.)
func ResolveTo(name, addr string) *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, a string) (net.Conn, error) {
		if a == name {
			a = addr
		}
		return dialer.DialContext(ctx, network, a)
	}
	return tr
}
