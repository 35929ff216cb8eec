package regtest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Server is an in-process registry on 127.0.0.1 that counts the requests it
// receives. Create it with InProcess.
type Server struct {
	// Host is "127.0.0.1:PORT", the registry part of an image reference.
	Host string
	// URL is "http://127.0.0.1:PORT".
	URL string

	counts counter
	// latency is every request's delay, in nanoseconds: WithLatency sets
	// it, SetLatency changes it (seed fast, then measure far away).
	latency atomic.Int64
}

// SetLatency makes every later request wait d before it is served.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Option configures an in-process registry.
type Option func(*inProcessConfig)

type inProcessConfig struct {
	latency        time.Duration
	noDigestHeader bool
	referrers      bool
}

// WithLatency delays every request by d before the registry handles it, to
// show that requests run in parallel or that a timeout is honoured.
func WithLatency(d time.Duration) Option {
	return func(c *inProcessConfig) { c.latency = d }
}

// WithReferrers answers the OCI 1.1 referrers API, as ECR, Harbor, Quay
// and Artifact Registry do (GHCR, Docker Hub and the distribution registry
// do not: they hold the fallback tag).
func WithReferrers() Option {
	return func(c *inProcessConfig) { c.referrers = true }
}

// WithoutDigestHeader drops Docker-Content-Digest from manifest HEAD and GET
// responses, as some registries do, so that clients must hash the body.
func WithoutDigestHeader() Option {
	return func(c *inProcessConfig) { c.noDigestHeader = true }
}

// InProcess starts go-containerregistry's in-memory registry on 127.0.0.1
// behind counting middleware. It is closed when the test ends.
func InProcess(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var cfg inProcessConfig
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{}
	ropts := []registry.Option{registry.Logger(log.New(io.Discard, "", 0))}
	if cfg.referrers {
		ropts = append(ropts, registry.WithReferrersSupport(true))
	}
	var h http.Handler = registry.New(ropts...)
	if cfg.noDigestHeader {
		h = dropDigestHeader(h)
	}
	s.latency.Store(int64(cfg.latency))
	h = s.middleware(h)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	s.Host = strings.TrimPrefix(srv.URL, "http://")
	return s
}

// Ref returns the reference of repoAndTag (e.g. "app:1.0" or
// "app@sha256:…") in this registry.
func (s *Server) Ref(repoAndTag string) string {
	return s.Host + "/" + repoAndTag
}

// Counts returns how many requests of each kind the registry has received
// since it started or since the last ResetCounts.
func (s *Server) Counts() Counts {
	return s.counts.snapshot()
}

// Duplicates returns each request (method and path) the registry received
// more than once since it started or since the last ResetCounts, with how
// often.
func (s *Server) Duplicates() map[string]int {
	return s.counts.duplicates()
}

// ResetCounts sets all counts to zero, typically after seeding.
func (s *Server) ResetCounts() {
	s.counts.reset()
}

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.counts.addRequest(Classify(r), r.Method+" "+r.URL.Path)
		if latency := time.Duration(s.latency.Load()); latency > 0 {
			timer := time.NewTimer(latency)
			defer timer.Stop()
			select {
			case <-timer.C:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// dropDigestHeader removes Docker-Content-Digest from manifest HEAD and GET
// responses of next.
func dropDigestHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch Classify(r) {
		case KindManifestHead, KindManifestGet:
			next.ServeHTTP(&headerDropper{ResponseWriter: w, drop: "Docker-Content-Digest"}, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// headerDropper deletes one header just before the status line is written.
type headerDropper struct {
	http.ResponseWriter
	drop    string
	written bool
}

func (h *headerDropper) WriteHeader(status int) {
	if !h.written {
		h.written = true
		h.Header().Del(h.drop)
	}
	h.ResponseWriter.WriteHeader(status)
}

func (h *headerDropper) Write(b []byte) (int, error) {
	if !h.written {
		h.WriteHeader(http.StatusOK)
	}
	return h.ResponseWriter.Write(b)
}
