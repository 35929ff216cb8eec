// Package transport is the registry client's HTTP stack: one RoundTripper
// per file, each with one job, assembled in one place (New). The requests
// go-containerregistry makes pass through it outermost first:
//
//	uploadCanceller  closes a blob upload the run abandons (DELETE)
//	pingOnce         one GET /v2/ per registry a run
//	limiter          --jobs: the requests in flight, all of them
//	retry.Transport  retries with backoff, honouring Retry-After
//	LogRequests      -v: every request, secrets masked (optional)
//	tokenWatch       hands every issued token to the masker
//	pageGuard        stops a tag listing that loops
//	announcedDigest  notes a manifest GET's Docker-Content-Digest
//	referrersProbe   notes that the referrers API answered
//	manifestBound    refuses a manifest body over the bound
//	plainGuard       HTTPS unless loopback or --insecure-registry
//	proxyGuard       behind a proxy, no name that resolves to a metadata address
//	httpFallback     HTTPS answered in plain HTTP by a named insecure host: sent again over HTTP
//	Guarded          go-containerregistry's transport, with dialGuard
//
// What a request's context carries for the stack (the side channels) is
// named in context.go.
package transport

import (
	"net/http"
	"time"

	"github.com/tagguard/tagguard/internal/retry"
)

// Config is the stack's settings.
type Config struct {
	Base     http.RoundTripper // the innermost transport; nil: Guarded()
	Insecure Insecure          // --insecure-registry
	Jobs     int               // --jobs
	Attempts int               // tries of a request, the first included
	Backoff  time.Duration     // the first retry's wait
	MaxDelay time.Duration     // the longest wait
	// MaxManifest bounds a manifest body; TooLarge is the error past it.
	MaxManifest int64
	TooLarge    error
	// Log, when set, hears of every request and retry (-v).
	Log func(format string, args ...any)
	// NoteCredential and NoteShortToken hear of every issued token, for
	// masking.
	NoteCredential func(user, secret string)
	NoteShortToken func(token string)
}

// New assembles the stack.
func New(cfg Config) http.RoundTripper {
	rt := cfg.Base
	if rt == nil {
		rt = Guarded()
	}
	rt = &httpFallback{insecure: cfg.Insecure, inner: rt}
	rt = &proxyGuard{inner: rt}
	rt = plainGuard{insecure: cfg.Insecure, inner: rt}
	rt = manifestBound{inner: rt, max: cfg.MaxManifest, tooLarge: cfg.TooLarge}
	rt = referrersProbe{inner: rt}
	rt = announcedDigest{inner: rt}
	rt = pageGuard{inner: rt}
	rt = tokenWatch{inner: rt, note: cfg.NoteCredential, noteShort: cfg.NoteShortToken}
	if cfg.Log != nil {
		rt = retry.LogRequests(rt, cfg.Log)
	}
	rt = &retry.Transport{Inner: rt, Policy: retry.Policy{Attempts: cfg.Attempts, Base: cfg.Backoff, Max: cfg.MaxDelay, Log: cfg.Log}}
	rt = &limiter{slots: make(chan struct{}, max(cfg.Jobs, 1)), inner: rt}
	rt = &pingOnce{inner: rt}
	return uploadCanceller{inner: rt}
}
