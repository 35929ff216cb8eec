package registry

import (
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/registry/transport"
)

// The references the client is handed are parsed with no transport
// setting (refs.ParseTag is pure). Every entry point re-homes them: a
// registry named in --insecure-registry is marked so for
// go-containerregistry, which then speaks plain HTTP to it from the first
// request, and whose checks that compare a URL with the registry's scheme
// (a tag list's next page, a token realm) agree with what is spoken. A
// reference derived from a re-homed one (d.Context().Tag(…)) is re-homed
// already.

// named reports whether --insecure-registry names the host, with or
// without its port: the stack's reading of it (transport.Insecure).
func (c *Client) named(hostport string) bool { return transport.Insecure(c.insecure).Names(hostport) }

func (c *Client) homeRegistry(r name.Registry) name.Registry {
	if !c.named(r.RegistryStr()) {
		return r
	}
	if h, err := name.NewRegistry(r.RegistryStr(), name.Insecure); err == nil {
		return h
	}
	return r
}

func (c *Client) homeRepo(r name.Repository) name.Repository {
	r.Registry = c.homeRegistry(r.Registry)
	return r
}

func (c *Client) homeDigest(d name.Digest) name.Digest {
	d.Repository = c.homeRepo(d.Repository)
	return d
}

func (c *Client) homeTag(t name.Tag) name.Tag {
	t.Repository = c.homeRepo(t.Repository)
	return t
}

func (c *Client) homeRef(ref name.Reference) name.Reference {
	switch r := ref.(type) {
	case name.Tag:
		return c.homeTag(r)
	case name.Digest:
		return c.homeDigest(r)
	}
	return ref
}
