package transport

import (
	"net"
	"slices"

	"github.com/tagguard/tagguard/internal/refs"
)

// Insecure is --insecure-registry: the hosts (with or without a port)
// that may be spoken to over plain HTTP. The one reading of it, shared by
// the stack and the registry client.
type Insecure []string

// Names reports whether the list names hostport, with or without its
// port.
func (in Insecure) Names(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return slices.Contains(in, hostport) || slices.Contains(in, host)
}

// Allows reports whether plain HTTP to hostport is allowed: a loopback
// host, or one the list names.
func (in Insecure) Allows(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return refs.IsLoopback(host) || in.Names(hostport)
}
