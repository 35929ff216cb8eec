// Package registry is the only code in tagguard that speaks to OCI
// registries. It stands on go-containerregistry and adds what a release guard
// needs around it: HEAD-first digests with a GET fallback, strict reference
// parsing, bounded concurrency, retries that honour Retry-After within
// --timeout, and plain HTTP only where the operator allowed it.
package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tagguard/tagguard/internal/errkind"
)

// Descriptor is what a tag points at.
type Descriptor struct {
	Digest    v1.Hash
	MediaType types.MediaType
	Size      int64
}

// Resolve reads what ref points at with one manifest HEAD. Registries that
// answer HEAD without Docker-Content-Digest (or Content-Type) get a GET and
// the body is hashed. An absent tag is ErrNotFound.
func (c *Client) Resolve(ctx context.Context, ref name.Reference) (Descriptor, error) {
	ref = c.homeRef(ref)
	d, err := c.puller.Head(ctx, ref)
	if err == nil {
		return Descriptor{Digest: d.Digest, MediaType: d.MediaType, Size: d.Size}, nil
	}
	if !incompleteHead(err) {
		return Descriptor{}, c.classify(ref, "resolving", err)
	}
	// A HEAD that answered 200 but left out a header we need: read the body.
	m, err := c.Manifest(ctx, ref)
	if err != nil {
		return Descriptor{}, err
	}
	return m.Descriptor, nil
}

func (c *Client) classify(ref name.Reference, doing string, err error) error {
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		host := ref.Context().RegistryStr()
		return errkind.Remotef("%s %s: registry %s speaks plain HTTP, and tagguard reaches every host but loopback over HTTPS only; if you trust the network between here and %s, add it to --insecure-registry", doing, ref, host, host)
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		registryHost := ref.Context().RegistryStr()
		if elsewhere := terr.Request != nil && terr.Request.URL.Host != "" && terr.Request.URL.Host != registryHost; elsewhere &&
			(terr.Request.Method == http.MethodPut || terr.Request.Method == http.MethodPatch) {
			// Not the registry's answer: it sent the upload to another host,
			// which tagguard (rightly) gave none of the registry's credentials.
			return errkind.Remotef("%s %s: registry %s redirected the upload to %s, which answered %d %s; tagguard sends %s's credentials to %s only: ask the registry's operator about the redirect",
				doing, ref, registryHost, terr.Request.URL.Host, terr.StatusCode, http.StatusText(terr.StatusCode), registryHost, registryHost)
		}
		switch {
		case terr.StatusCode == http.StatusNotFound && isRegistryAPI(terr):
			return fmt.Errorf("%s %s: %w", doing, ref, ErrNotFound)
		case terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden:
			return errkind.New(errkind.Remote, fmt.Errorf("%s %s: registry %s refused access (%d %s): %s",
				doing, ref, registryHost, terr.StatusCode, http.StatusText(terr.StatusCode), c.keys.refused(registryHost)))
		}
	}
	return errkind.New(errkind.Remote, fmt.Errorf("%s %s: %w", doing, ref, err))
}

// isRegistryAPI tells a 404 of the registry's /v2/ API (the tag or
// repository is absent) from a 404 of anything else, such as a token
// endpoint that does not exist: only the first means absent.
func isRegistryAPI(terr *transport.Error) bool {
	return terr.Request == nil || strings.HasPrefix(terr.Request.URL.Path, "/v2/")
}

// incompleteHead recognises go-containerregistry's errors for a HEAD that
// answered 200 without Docker-Content-Digest, Content-Type or
// Content-Length: the one case where a GET can tell what the HEAD did not.
// Any other failure is reported as it is.
func incompleteHead(err error) bool {
	var terr *transport.Error
	return !errors.As(err, &terr) && strings.Contains(err.Error(), "response did not include")
}
