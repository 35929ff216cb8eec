package transport

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// The side channels: what a request's context carries for the stack to
// fill in (what go-containerregistry reads but does not hand back) or to
// consult (a listing's own state). All three are named here.
type (
	probeKey     struct{}
	announcedKey struct{}
	pagesKey     struct{}
)

// Probe notes whether the registry answered the referrers API itself,
// rather than go-containerregistry falling back to the referrers tag.
type Probe struct{ api atomic.Bool }

// API reports that the referrers API answered.
func (p *Probe) API() bool { return p.api.Load() }

// WithProbe is ctx carrying a Probe for a referrers listing.
func WithProbe(ctx context.Context) (context.Context, *Probe) {
	p := &Probe{}
	return context.WithValue(ctx, probeKey{}, p), p
}

// Announced is the Docker-Content-Digest a manifest GET was answered
// with: go-containerregistry does not expose it on a read by tag.
type Announced struct {
	mu     sync.Mutex
	digest string
}

func (a *Announced) set(d string) {
	a.mu.Lock()
	a.digest = d
	a.mu.Unlock()
}

// Digest is the digest announced, "" when none was.
func (a *Announced) Digest() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.digest
}

// WithAnnounced is ctx carrying an Announced for a manifest GET.
func WithAnnounced(ctx context.Context) (context.Context, *Announced) {
	a := &Announced{}
	return context.WithValue(ctx, announcedKey{}, a), a
}

// maxTagPages bounds the pages of one tag list: at the 1,000 tags a page
// tagguard asks for (registries may send fewer), no real repository needs
// more.
const maxTagPages = 2000

// Pages remembers the tag-list pages one listing has asked for.
type Pages struct {
	mu   sync.Mutex
	seen map[string]bool
	err  error
}

// WithPages is ctx carrying Pages for one tag listing.
func WithPages(ctx context.Context) (context.Context, *Pages) {
	p := &Pages{seen: map[string]bool{}}
	return context.WithValue(ctx, pagesKey{}, p), p
}

// Failure is why the listing was stopped: a page asked for twice, or too
// many pages; nil when it was not.
func (p *Pages) Failure() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// admit refuses a page already read and a listing past maxTagPages.
func (p *Pages) admit(url string) error {
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
