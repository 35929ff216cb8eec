package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/tagguard/tagguard/internal/errkind"
)

// maxTagPages bounds the pages of one tag list: at the 1,000 tags a page
// tagguard asks for (registries may send fewer), no real repository needs
// more.
const maxTagPages = 2000

// Tags lists every tag of repo, following pagination. A registry whose
// next page points back at a page already read, or that never stops, is a
// registry failure that says so, not a loop until --timeout.
func (c *Client) Tags(ctx context.Context, repo name.Repository) ([]string, error) {
	pg := &pages{seen: map[string]bool{}}
	tags, err := c.puller.List(context.WithValue(ctx, pagesKey{}, pg), repo)
	if loop := pg.failure(); loop != nil {
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

// pagesKey carries a *pages through a tag list's requests.
type pagesKey struct{}

// pages remembers the tag-list pages one listing has asked for.
type pages struct {
	mu   sync.Mutex
	seen map[string]bool
	err  error
}

func (p *pages) failure() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// admit refuses a page already read and a listing past maxTagPages.
func (p *pages) admit(url string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.err != nil:
	case p.seen[url]:
		p.err = fmt.Errorf("the registry's tag list pagination loops: page %s was already read (a next link or a cursor that does not advance)", url)
	case len(p.seen) >= maxTagPages:
		p.err = fmt.Errorf("the registry's tag list did not end after %d pages", maxTagPages)
	}
	p.seen[url] = true
	return p.err
}

// pageGuard stops a tag listing that loops, before the request is sent.
type pageGuard struct{ inner http.RoundTripper }

func (g pageGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if p, ok := req.Context().Value(pagesKey{}).(*pages); ok && req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/tags/list") {
		if err := p.admit(req.URL.Redacted()); err != nil {
			return nil, err
		}
	}
	return g.inner.RoundTrip(req)
}
