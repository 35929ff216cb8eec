package transport

import (
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/tagguard/tagguard/internal/refs"
)

// dialGuard refuses, at connect time, an address ForbiddenHost refuses:
// a registry name that resolves to a link-local or metadata address must
// not reach it either, whatever a ledger or a redirect named.
func dialGuard(_, address string, _ syscall.RawConn) error {
	if why := refs.Forbidden(address); why != "" {
		return fmt.Errorf("refusing to connect to %s: it is %s", address, why)
	}
	return nil
}

// Guarded is go-containerregistry's default transport with
// dialGuard on every connection.
func Guarded() http.RoundTripper {
	t, ok := remote.DefaultTransport.(*http.Transport)
	if !ok {
		return remote.DefaultTransport
	}
	t = t.Clone()
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: dialGuard}
	t.DialContext = d.DialContext
	return t
}
