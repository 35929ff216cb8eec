package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	stack "github.com/tagguard/tagguard/internal/registry/transport"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/tagguard/tagguard/internal/errkind"
)

// Tags lists every tag of repo, following pagination. A registry whose
// next page points back at a page already read, or that never stops, is a
// registry failure that says so, not a loop until --timeout.
func (c *Client) Tags(ctx context.Context, repo name.Repository) ([]string, error) {
	repo = c.homeRepo(repo)
	lctx, pg := stack.WithPages(ctx)
	tags, err := c.puller.List(lctx, repo)
	if loop := pg.Failure(); loop != nil {
		return nil, errkind.New(errkind.Remote, fmt.Errorf("listing tags of %s: %w", repo, loop))
	}
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound && isRegistryAPI(terr) {
			return nil, nil // no repository yet: no tags
		}
		return nil, errkind.New(errkind.Remote, fmt.Errorf("listing tags of %s: %w", repo, err))
	}
	return tags, nil
}
