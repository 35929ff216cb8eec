package regtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Service and Issuer are the names a TokenService and the registry that
// trusts it agree on.
const (
	TokenServiceName = "regtest-registry"
	TokenIssuer      = "regtest-token-issuer"
)

// TokenService is the Bearer token flow GHCR, Docker Hub and ECR use: a
// registry in `auth: token:` mode answers 401 with
// `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, the client asks the
// realm for a token (with Basic credentials, or none for anonymous pull),
// and the registry verifies the token's signature against the service's
// certificate. Grants are per user and repository; every token request is
// recorded so tests can count exchanges per repository and scope.
type TokenService struct {
	URL   string // http://localhost:PORT: go-containerregistry refuses a realm that is a private IP literal
	Realm string // URL + "/token"

	key      *ecdsa.PrivateKey
	certDER  []byte
	certPath string

	mu       sync.Mutex
	users    map[string]string              // user → password
	grants   map[string]map[string][]string // user → repository → actions
	public   map[string]bool                // repositories anyone may pull
	requests []TokenRequest
}

// TokenRequest is one request the token service answered.
type TokenRequest struct {
	User      string   // "" for anonymous
	Scopes    []string // as asked, e.g. repository:org/app:pull,push
	Granted   []string // as granted
	Refused   bool     // wrong password: 401
	Service   string
	Anonymous bool
}

// NewTokenService starts a token service on loopback, stopped with the
// test.
func NewTokenService(t testing.TB) *TokenService {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: TokenIssuer},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ts := &TokenService{key: key, certDER: der, users: map[string]string{}, grants: map[string]map[string][]string{}, public: map[string]bool{}}
	ts.certPath = filepath.Join(t.TempDir(), "token-root.pem")
	if err := os.WriteFile(ts.certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(ts.serve))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	ts.URL = "http://localhost:" + port
	ts.Realm = ts.URL + "/token"
	return ts
}

// AddUser lets user in with password and grants actions (pull, push) on
// each repository named.
func (ts *TokenService) AddUser(user, password string, actions []string, repos ...string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.users[user] = password
	if ts.grants[user] == nil {
		ts.grants[user] = map[string][]string{}
	}
	for _, r := range repos {
		ts.grants[user][r] = actions
	}
}

// Public lets anyone pull repo without credentials.
func (ts *TokenService) Public(repo string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.public[repo] = true
}

// Requests returns the token requests so far.
func (ts *TokenService) Requests() []TokenRequest {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return slices.Clone(ts.requests)
}

// Reset forgets the requests so far.
func (ts *TokenService) Reset() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.requests = nil
}

func (ts *TokenService) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/token" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	req := TokenRequest{Scopes: q["scope"], Service: q.Get("service")}
	user, password, hasAuth := r.BasicAuth()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if hasAuth {
		req.User = user
		if want, ok := ts.users[user]; !ok || want != password {
			req.Refused = true
			ts.requests = append(ts.requests, req)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
	} else {
		req.Anonymous = true
	}
	var access []map[string]any
	for _, scope := range req.Scopes {
		parts := strings.Split(scope, ":")
		if len(parts) != 3 || parts[0] != "repository" {
			continue
		}
		repo := parts[1]
		var granted []string
		for _, a := range strings.Split(parts[2], ",") {
			allowed := ts.public[repo] && a == "pull"
			if hasAuth && slices.Contains(ts.grants[user][repo], a) {
				allowed = true
			}
			if allowed {
				granted = append(granted, a)
			}
		}
		if len(granted) > 0 {
			access = append(access, map[string]any{"type": "repository", "name": repo, "actions": granted})
			req.Granted = append(req.Granted, "repository:"+repo+":"+strings.Join(granted, ","))
		}
	}
	ts.requests = append(ts.requests, req)
	token, err := ts.sign(req.User, access)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"token": token, "access_token": token, "expires_in": 300, "issued_at": time.Now().UTC().Format(time.RFC3339)})
}

// sign makes an ES256 JWT the distribution registry accepts: its header
// carries the signing certificate (x5c), which the registry checks against
// the root bundle it was configured with.
func (ts *TokenService) sign(subject string, access []map[string]any) (string, error) {
	now := time.Now()
	header := map[string]any{"typ": "JWT", "alg": "ES256", "x5c": []string{base64.StdEncoding.EncodeToString(ts.certDER)}}
	claims := map[string]any{
		"iss": TokenIssuer, "sub": subject, "aud": TokenServiceName,
		"exp": now.Add(5 * time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(),
		"jti": fmt.Sprintf("%d", now.UnixNano()), "access": access,
	}
	if access == nil {
		claims["access"] = []any{}
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	sum := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, ts.key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signing + "." + enc.EncodeToString(sig), nil
}

// WithTokenAuth makes the registry trust ts: the Bearer token flow.
func WithTokenAuth(ts *TokenService) DistributionOption {
	return func(c *distributionConfig) { c.token = ts }
}

// WithDelete lets the registry delete manifests (DELETE by digest), as a
// cleanup policy would: the way tests prune a digest.
func WithDelete() DistributionOption {
	return func(c *distributionConfig) { c.delete = true }
}
