package registry

import (
	"github.com/tagguard/tagguard/internal/report"

	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tagguard/tagguard/internal/errkind"
)

// ErrImmutable is returned (wrapped) when the registry itself refuses to
// move a tag because its own immutability rule protects it.
var ErrImmutable = errors.New("the registry enforces tag immutability")

// rawManifest is a Taggable that carries bytes and media type unchanged, so
// what is PUT is exactly what was fetched.
type rawManifest struct{ m Manifest }

func (r rawManifest) RawManifest() ([]byte, error)        { return r.m.Raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.m.MediaType, nil }

// Put points tag at m: one manifest PUT of m's bytes with m's media type. No
// blob moves; the manifest must already be in the repository by digest.
func (c *Client) Put(ctx context.Context, tag name.Tag, m Manifest) error {
	tag = c.homeTag(tag)
	err := c.pusher.Put(ctx, tag, rawManifest{m})
	if err == nil {
		return nil
	}
	if immutableAnswer(err) {
		return errkind.New(errkind.Remote, fmt.Errorf("writing %s: %w (%v): lift the registry's immutability rule for this tag (Harbor immutability rule, ECR IMMUTABLE setting, Artifact Registry immutable tags, Docker Hub immutable tags, ACR write-enabled=false), re-run the restore, then put the rule back", tag, ErrImmutable, shortErr(err)))
	}
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		host := tag.Context().RegistryStr()
		return errkind.Remotef("writing %s: registry %s refused the write (%d %s): the credentials for %s can read %s but not push to it; give credentials with push access (--registry-auth, DOCKER_CONFIG; for GHCR, packages: write)",
			tag, host, terr.StatusCode, http.StatusText(terr.StatusCode), host, tag.Context().RepositoryStr())
	}
	return c.classify(tag, "writing", err)
}

// immutableAnswer recognises the registries that refuse to overwrite a tag:
// Harbor answers 412, Docker Hub 403 on an immutable tag, ECR
// TAG_INVALID/ImageTagAlreadyExistsException, Artifact Registry and ACR
// DENIED or a message naming immutability or write protection.
func immutableAnswer(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	if terr.StatusCode == http.StatusPreconditionFailed {
		return true
	}
	msg := strings.ToLower(terr.Error())
	for _, hint := range []string{"immutable", "imagetagalreadyexists", "already exists and cannot be overwritten", "write-enabled", "write operation is not allowed", "writeenabled"} {
		if strings.Contains(msg, hint) {
			return true
		}
	}
	return false
}

// shortErr keeps a registry's error text to one bounded, clean line: it is
// text from outside and ends up in logs.
func shortErr(err error) string { return report.Clip(err.Error(), 300) }
