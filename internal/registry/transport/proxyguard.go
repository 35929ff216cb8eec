package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/refs"
)

// proxyGuard refuses, when a request goes through an HTTP(S) proxy, a
// host name that resolves to a link-local or metadata address: the dial
// guard then sees only the proxy's address, and the proxy would reach it
// for us. Each name is looked up once a run; a lookup that fails is not
// kept (the next request asks again) and refuses nothing, as behind many
// proxies only the proxy can resolve outside names.
type proxyGuard struct {
	inner    http.RoundTripper
	proxy    func(*http.Request) (*url.URL, error)           // the transport's; http.ProxyFromEnvironment when nil
	lookup   func(context.Context, string) ([]string, error) // net.DefaultResolver.LookupHost when nil
	verdicts fanout.Memo[string, string]                     // host → why it is refused, "" for fine
}

func (g *proxyGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if why := g.refused(req); why != "" {
		return nil, errors.New(why)
	}
	return g.inner.RoundTrip(req)
}

func (g *proxyGuard) refused(req *http.Request) string {
	proxy := g.proxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	if u, err := proxy(req); err != nil || u == nil {
		return ""
	}
	host := req.URL.Hostname()
	if net.ParseIP(host) != nil {
		return "" // an address: the reference grammar has judged it
	}
	lookup := g.lookup
	if lookup == nil {
		lookup = net.DefaultResolver.LookupHost
	}
	why, _, _ := g.verdicts.Do(req.Context(), host, func() (string, error) {
		addrs, err := lookup(req.Context(), host)
		if err != nil {
			return "", err
		}
		for _, a := range addrs {
			if why := refs.Forbidden(a); why != "" {
				return fmt.Sprintf("refusing %s: it resolves to %s, %s", host, a, why), nil
			}
		}
		return "", nil
	})
	return why
}
