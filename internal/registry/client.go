// Package registry is the only code in tagguard that speaks to OCI
// registries. It stands on go-containerregistry and adds what a release guard
// needs around it: HEAD-first digests with a GET fallback, strict reference
// parsing, bounded concurrency, retries that honour Retry-After within
// --timeout, and plain HTTP only where the operator allowed it.
package registry

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tagguard/tagguard/internal/oci"
	stack "github.com/tagguard/tagguard/internal/registry/transport"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
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
	insecure []string // --insecure-registry: hosts re-homed as plain HTTP (home.go)
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
	rt := stack.New(stack.Config{
		Base: cfg.Transport, Insecure: cfg.Insecure, Jobs: cfg.Jobs,
		Attempts: attempts, Backoff: backoff, MaxDelay: maxDelay,
		MaxManifest: oci.MaxManifest, TooLarge: errTooLarge, Log: cfg.Log,
		NoteCredential: cfg.NoteCredential, NoteShortToken: cfg.NoteShortToken,
	})
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
