package regtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// distributionBinary is the CNCF distribution registry as packaged by Debian
// (package docker-registry, version 2.8).
const distributionBinary = "docker-registry"

// DistributionEnv names another distribution build for the end-to-end
// tests, as a path or a name on PATH: .ci/run runs the registry tests a
// second time with distribution v3.0.0 (`registry`, built with go install)
// this way. The configuration Distribution writes suits both.
const DistributionEnv = "TAGGUARD_DISTRIBUTION"

// distributionBin is the registry binary the tests start, and how to get it.
func distributionBin() (bin, install string) {
	if b := os.Getenv(DistributionEnv); b != "" {
		return b, "go install github.com/distribution/distribution/v3/cmd/registry@v3.0.0, and name it in " + DistributionEnv
	}
	return distributionBinary, "apt-get install -y docker-registry"
}

// Bounds on starting the distribution registry.
const (
	startAttempts = 3
	readyTimeout  = 10 * time.Second
)

// DistributionServer is a running CNCF distribution registry on 127.0.0.1.
// Create it with Distribution.
type DistributionServer struct {
	// Host is "127.0.0.1:PORT", the registry part of an image reference.
	Host string
	// URL is "http://127.0.0.1:PORT".
	URL string
	// Auth is true when the registry requires User and Password.
	Auth bool
	// Token is the token service the registry trusts, when it has one.
	Token *TokenService
}

// Ref returns the reference of repoAndTag (e.g. "app:1.0") in this registry.
func (d *DistributionServer) Ref(repoAndTag string) string {
	return d.Host + "/" + repoAndTag
}

// Pusher returns a Pusher holding the credentials this registry requires,
// if any.
func (d *DistributionServer) Pusher() Pusher {
	if d.Auth {
		return As(User, Password)
	}
	return Pusher{}
}

// DistributionOption configures a distribution registry.
type DistributionOption func(*distributionConfig)

type distributionConfig struct {
	htpasswd       bool
	user, password string
	token          *TokenService
	delete         bool
}

// WithHtpasswd makes the registry require HTTP basic authentication. Only the
// fixed test pair (User, Password) is supported, because its bcrypt hash is
// committed rather than computed; any other pair fails the test.
func WithHtpasswd(user, password string) DistributionOption {
	return func(c *distributionConfig) {
		c.htpasswd = true
		c.user, c.password = user, password
	}
}

// Distribution starts the real distribution registry (`docker-registry serve`)
// on a free loopback port with storage in a temporary directory, and waits
// until it answers. It is killed when the test ends; its log (level error) is
// shown only if the test failed.
//
// Without the binary the test is skipped, except under CI=true, where a
// missing registry is a failure rather than a silent skip.
func Distribution(t testing.TB, opts ...DistributionOption) *DistributionServer {
	t.Helper()
	var cfg distributionConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.htpasswd && (cfg.user != User || cfg.password != Password) {
		t.Fatalf("regtest.WithHtpasswd supports only regtest.User and regtest.Password, got user %q", cfg.user)
	}
	name, install := distributionBin()
	bin, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s not found (%s): %v", name, install, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	dir := t.TempDir()
	htpasswd := ""
	if cfg.htpasswd {
		htpasswd = filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(htpasswdLine), 0o600); err != nil {
			t.Fatalf("writing htpasswd: %v", err)
		}
	}

	var errs []error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		host, err := freeLoopbackAddr()
		if err != nil {
			t.Fatalf("starting distribution registry: %v", err)
		}
		config := filepath.Join(dir, "config.yml")
		body := distributionConfigYAML(host, filepath.Join(dir, "storage"), htpasswd, cfg)
		if err := os.WriteFile(config, []byte(body), 0o600); err != nil {
			t.Fatalf("writing registry config: %v", err)
		}
		p, err := startDistribution(t, bin, config, host)
		if err == nil {
			return &DistributionServer{Host: host, URL: "http://" + host, Auth: cfg.htpasswd, Token: cfg.token}
		}
		errs = append(errs, fmt.Errorf("attempt %d on %s: %w\n%s", attempt, host, err, p.log.String()))
		if !p.exitedEarly {
			break // it ran but never answered: another port will not help
		}
	}
	t.Fatalf("starting distribution registry: %v", errors.Join(errs...))
	return nil
}

// distributionConfigYAML is a minimal configuration for distribution 2.8,
// which insists on "version: 0.1". Deletes stay disabled unless asked for.
func distributionConfigYAML(addr, storage, htpasswd string, cfg distributionConfig) string {
	var b strings.Builder
	fmt.Fprintf(&b, `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %q
  maintenance:
    uploadpurging:
      enabled: false
%shttp:
  addr: %q
  secret: regtest-not-a-secret
`, storage, deleteYAML(cfg.delete), addr)
	switch {
	case htpasswd != "":
		fmt.Fprintf(&b, `auth:
  htpasswd:
    realm: regtest
    path: %q
`, htpasswd)
	case cfg.token != nil:
		fmt.Fprintf(&b, `auth:
  token:
    realm: %q
    service: %q
    issuer: %q
    rootcertbundle: %q
`, cfg.token.Realm, TokenServiceName, TokenIssuer, cfg.token.certPath)
	}
	return b.String()
}

func deleteYAML(on bool) string {
	if on {
		return "  delete:\n    enabled: true\n"
	}
	return ""
}

// freeLoopbackAddr finds a port that was free a moment ago. Another process
// may take it before the registry binds, hence the retries in Distribution.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	return addr, nil
}

// process is one run of the registry binary.
type process struct {
	log         *syncBuffer
	exitedEarly bool
}

// startDistribution runs the registry and waits until GET /v2/ answers with
// any HTTP status (401 included, when auth is on). On success the process is
// killed in t.Cleanup; on failure it is already dead.
func startDistribution(t testing.TB, bin, config, host string) (*process, error) {
	p := &process{log: &syncBuffer{}}
	cmd := exec.Command(bin, "serve", config)
	cmd.Stdout = p.log
	cmd.Stderr = p.log
	cmd.Env = registryFreeEnv()
	if err := cmd.Start(); err != nil {
		return p, fmt.Errorf("running %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			p.exitedEarly = true
			return p, fmt.Errorf("registry exited before answering: %v", err)
		case <-ctx.Done():
			stop()
			return p, fmt.Errorf("waiting for GET /v2/: no answer within %s", readyTimeout)
		case <-tick.C:
		}
		resp, err := client.Get("http://" + host + "/v2/")
		if err != nil {
			continue
		}
		resp.Body.Close()
		t.Cleanup(func() {
			stop()
			if t.Failed() && p.log.Len() > 0 {
				t.Logf("distribution registry log:\n%s", p.log.String())
			}
		})
		return p, nil
	}
}

// registryFreeEnv is the environment without REGISTRY_* variables, which
// distribution reads as configuration overrides.
func registryFreeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") {
			env = append(env, kv)
		}
	}
	return env
}

// syncBuffer is a bytes.Buffer safe for the writes of a child process's
// output copiers and a reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}
