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
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/retry"
)

// ErrNotFound is returned (wrapped) when a tag or digest is absent.
var ErrNotFound = errors.New("not found")

// Config sets up a Client.
type Config struct {
	Jobs        int          // requests in flight at once; default 8
	Insecure    []string     // hosts (or host:port) allowed over plain HTTP
	Credentials []Credential // --registry-auth
	GitHubToken string       // lent to ghcr.io when nothing else gives credentials
	GitHubActor string       // the user name that goes with GitHubToken
	GitHubOwner string       // the workflow's repository owner: the token is lent for its images only
	Transport   http.RoundTripper
	UserAgent   string
	// CredentialsFrom names where Credentials came from, for messages:
	// "--registry-auth" (the default) or "TAGGUARD_REGISTRY_AUTH".
	CredentialsFrom string
	// Log, when set, hears where each host's credentials came from, every
	// request (method, URL, status, time) and every retry: --verbose.
	Log func(format string, args ...any)
	// NoteCredential hears of every credential the client may send, the
	// moment it is resolved and before it is used, whatever its source
	// (--registry-auth, the Docker config's auths, a credential helper or
	// store, the GitHub token, a token service's bearer token; user is ""
	// for a token), so it can be masked. May be nil.
	NoteCredential func(user, secret string)
	// NoteShortToken hears of a token service's token of 8 to 15
	// characters, to be masked only where it stands as a whole token (a
	// hostile service must not get a common word blanked). May be nil.
	NoteShortToken func(token string)
	// Retry tuning; zero values mean 5 attempts starting at 500ms, capped at 30s.
	Attempts int
	Backoff  time.Duration
	MaxDelay time.Duration
}

// Client reads and writes manifests and tags. It is safe for concurrent use
// and reuses one token exchange per repository.
type Client struct {
	insecure []string
	keys     *sourced
	puller   *remote.Puller
	pusher   *remote.Pusher
	read     *readCache // what this run read and hashed, for its copies
	jobs     int        // --jobs: the width of the client's own fan-outs
	// copies: each manifest is copied into a repository once a run ("
	// registry/repository@digest"); a copy that failed is tried again.
	copies fanout.Memo[string, CopyStats]
}

// New builds a Client. It makes no request; it reads the Docker config
// file once, so a broken one is bad input before anything is touched.
func New(cfg Config) (*Client, error) {
	if err := checkDockerConfig(); err != nil {
		return nil, errkind.BadInputf("reading Docker credentials: %v", err)
	}
	if cfg.Jobs <= 0 {
		cfg.Jobs = 8
	}
	base := cfg.Transport
	if base == nil {
		base = guardedTransport()
	}
	attempts, backoff, maxDelay := cfg.Attempts, cfg.Backoff, cfg.MaxDelay
	if attempts <= 0 {
		attempts = 5
	}
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	if maxDelay <= 0 {
		maxDelay = 30 * time.Second
	}
	var rt http.RoundTripper = &schemeGuard{insecure: cfg.Insecure, inner: base}
	rt = digestRecorder{inner: rt}
	rt = pageGuard{inner: rt}
	rt = tokenWatch{inner: rt, note: cfg.NoteCredential, noteShort: cfg.NoteShortToken}
	if cfg.Log != nil {
		rt = retry.LogRequests(rt, cfg.Log)
	}
	rt = &retry.Transport{Inner: rt, Policy: retry.Policy{Attempts: attempts, Base: backoff, Max: maxDelay, Log: cfg.Log}}
	rt = &limiter{slots: make(chan struct{}, cfg.Jobs), inner: rt}
	rt = &pingOnce{inner: rt}
	rt = uploadCanceller{inner: rt}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "tagguard"
	}
	keys := &sourced{
		static: staticKeychain(cfg.Credentials),
		ghcr:   ghcrKeychain{user: cfg.GitHubActor, token: cfg.GitHubToken, owner: cfg.GitHubOwner},
		note:   cfg.NoteCredential, log: cfg.Log, label: cmpOr(cfg.CredentialsFrom, "--registry-auth"),
		sources: map[string]string{},
	}
	opts := []remote.Option{
		remote.WithTransport(rt),
		remote.WithAuthFromKeychain(keys),
		// --jobs is enforced once, by the limiter above: it bounds every
		// request in flight, tokens and blob copies included. The fan-outs
		// of the commands and go-containerregistry's own (left at its
		// default) only size goroutine pools.
		remote.WithUserAgent(ua),
		// Our retrier is in charge; go-containerregistry's would retry again
		// beneath it and ignore Retry-After.
		remote.WithRetryStatusCodes(),
		remote.WithRetryPredicate(func(error) bool { return false }),
	}
	p, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, fmt.Errorf("setting up registry client: %w", err)
	}
	w, err := remote.NewPusher(opts...)
	if err != nil {
		return nil, fmt.Errorf("setting up registry client: %w", err)
	}
	return &Client{insecure: cfg.Insecure, keys: keys, puller: p, pusher: w, read: &readCache{}, jobs: cfg.Jobs}, nil
}

func (c *Client) nameOpts(s string) []name.Option {
	host, _, _ := strings.Cut(s, "/")
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if slices.Contains(c.insecure, host) || slices.Contains(c.insecure, h) {
		return []name.Option{name.Insecure}
	}
	return nil
}

// ParseTag parses REPO:TAG strictly, with the grammar of internal/refs:
// the tag must be written out (no implicit latest), a digest is not
// allowed, and the registry host and repository path must be ones a
// registry accepts, so a malformed reference is bad input before any
// request.
func (c *Client) ParseTag(s string) (name.Tag, error) {
	s = strings.TrimSpace(s)
	if p := refs.Problem(s); p != "" {
		return name.Tag{}, fmt.Errorf("image %q %s", clip(s), p)
	}
	t, err := name.NewTag(s, c.nameOpts(s)...)
	if err != nil {
		return name.Tag{}, fmt.Errorf("image %q: %v", clip(s), err)
	}
	return t, nil
}

// clip bounds a reference quoted in a message.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// ParseTags parses every reference with ParseTag and drops repeats of one
// tag, however it was spelled (org/app:1 and docker.io/org/app:1 are one).
// Every reference that does not parse is in the returned errors.
func (c *Client) ParseTags(list []string) ([]name.Tag, []error) {
	seen := map[string]bool{}
	var tags []name.Tag
	var bad []error
	for _, s := range list {
		if strings.TrimSpace(s) == "" {
			continue
		}
		t, err := c.ParseTag(s)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		if !seen[t.Name()] {
			seen[t.Name()] = true
			tags = append(tags, t)
		}
	}
	return tags, bad
}

// ParsePin parses REPO:TAG@sha256:… — point that tag at that digest.
func (c *Client) ParsePin(s string) (name.Tag, v1.Hash, error) {
	s = strings.TrimSpace(s)
	ref, dig, ok := strings.Cut(s, "@")
	if !ok {
		return name.Tag{}, v1.Hash{}, fmt.Errorf("pin %q: expected REPO:TAG@sha256:<digest>", s)
	}
	t, err := c.ParseTag(ref)
	if err != nil {
		return name.Tag{}, v1.Hash{}, fmt.Errorf("pin %q: %w", s, err)
	}
	h, err := ParseDigest(dig)
	if err != nil {
		return name.Tag{}, v1.Hash{}, fmt.Errorf("pin %q: %w", s, err)
	}
	return t, h, nil
}

// ParseDigest parses a sha256 digest (internal/refs): any other algorithm
// is refused.
func ParseDigest(s string) (v1.Hash, error) { return refs.ParseDigest(s) }

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
