package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/files"
)

// Credential is one HOST=USER:SECRET line of --registry-auth.
type Credential struct {
	Host, User, Secret string
}

// ParseCredentials parses --registry-auth lines. Errors name the line number
// but never echo the line: it holds a secret.
func ParseCredentials(lines []string) ([]Credential, error) {
	var out []Credential
	for i, l := range lines {
		host, userSecret, ok := strings.Cut(strings.TrimSpace(l), "=")
		user, secret, ok2 := strings.Cut(userSecret, ":")
		host = strings.TrimSpace(host)
		if !ok || !ok2 || host == "" || user == "" || secret == "" {
			return nil, fmt.Errorf("registry-auth entry %d is not of the form HOST=USER:SECRET", i+1)
		}
		if _, err := name.NewRegistry(host, name.StrictValidation); err != nil {
			return nil, fmt.Errorf("registry-auth entry %d: host %q is not a registry host", i+1, host)
		}
		out = append(out, Credential{Host: canonicalHost(host), User: user, Secret: secret})
	}
	return out, nil
}

func canonicalHost(h string) string {
	if h == "docker.io" || h == "registry-1.docker.io" {
		return name.DefaultRegistry
	}
	return h
}

// staticKeychain holds the --registry-auth credentials.
type staticKeychain []Credential

// resolve is the credential for host, or nil.
func (k staticKeychain) resolve(host string) authn.Authenticator {
	for _, c := range k {
		if c.Host == host {
			return &authn.Basic{Username: c.User, Password: c.Secret}
		}
	}
	return nil
}

// near is a --registry-auth host that is host without its port, or with
// another port: the likeliest typo when none matched.
func (k staticKeychain) near(host string) string {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	for _, c := range k {
		cn := c.Host
		if h, _, err := net.SplitHostPort(c.Host); err == nil {
			cn = h
		}
		if cn == name && c.Host != host {
			return c.Host
		}
	}
	return ""
}

// ghcrKeychain lends the GitHub token to ghcr.io when nothing else did: in
// Actions, the workflow's token with the actor as user is how GHCR is reached.
// Images of another owner are read anonymously instead: GHCR can refuse the
// workflow's token for a package it was never granted, where anonymous
// access to a public image works.
type ghcrKeychain struct{ user, token, owner string }

func (k ghcrKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if k.token == "" || r.RegistryStr() != "ghcr.io" {
		return authn.Anonymous, nil
	}
	if k.owner != "" {
		path := strings.TrimPrefix(r.String(), "ghcr.io/")
		owner, _, _ := strings.Cut(path, "/")
		if owner != "" && path != r.String() && !strings.EqualFold(owner, k.owner) {
			return authn.Anonymous, nil
		}
	}
	user := k.user
	if user == "" {
		user = "x-access-token"
	}
	return &authn.Basic{Username: user, Password: k.token}, nil
}

// sourced is the keychain: --registry-auth, then the Docker config (auths,
// credential helpers and stores), then the GitHub token for ghcr.io, else
// anonymous. It remembers where each host's credentials came from — for
// --verbose, and for a refusal that says which credentials were refused —
// and hands every credential it resolves to note before go-containerregistry
// sends it: the Docker config's are read only here, and a registry that
// echoes what it was sent must find them masked.
type sourced struct {
	static  staticKeychain
	ghcr    ghcrKeychain
	note    func(user, secret string)
	log     func(format string, args ...any)
	label   string // how --registry-auth was given, for the source line
	mu      sync.Mutex
	sources map[string]string // host → where its credentials came from
}

func (k *sourced) Resolve(r authn.Resource) (authn.Authenticator, error) {
	host := canonicalHost(r.RegistryStr())
	a, source := k.static.resolve(host), k.label
	if a == nil {
		da, err := authn.DefaultKeychain.Resolve(r)
		if err != nil {
			return nil, err
		}
		if da != authn.Anonymous {
			a, source = da, dockerSource(r.RegistryStr())
		}
	}
	if a == nil {
		if ga, _ := k.ghcr.Resolve(r); ga != authn.Anonymous {
			a, source = ga, "the GitHub token (user "+cmpOr(k.ghcr.user, "x-access-token")+")"
		}
	}
	if a == nil {
		a, source = authn.Anonymous, "none (anonymous)"
	}
	k.mu.Lock()
	_, said := k.sources[host]
	k.sources[host] = source
	k.mu.Unlock()
	if !said && k.log != nil {
		k.log("credentials for %s: %s", host, source)
	}
	if a == authn.Anonymous || k.note == nil {
		return a, nil
	}
	cfg, err := a.Authorization()
	if err != nil {
		return nil, err
	}
	k.note(cfg.Username, cfg.Password)
	if cfg.Auth != "" {
		k.note("", cfg.Auth)
		if dec, err := base64.StdEncoding.DecodeString(cfg.Auth); err == nil {
			if user, secret, ok := strings.Cut(string(dec), ":"); ok {
				k.note(user, secret)
			}
		}
	}
	k.note("", cfg.IdentityToken)
	k.note("", cfg.RegistryToken)
	// The resolved values, not the keychain again: a credential helper
	// runs once and what it said is what was masked.
	return authn.FromConfig(*cfg), nil
}

// source says where host's credentials came from, "" when none was asked.
func (k *sourced) source(host string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.sources[canonicalHost(host)]
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// dockerSource names where the Docker config's credentials for host come
// from: a credential helper, a credential store, or the file's auths.
func dockerSource(host string) string {
	path := dockerConfigPath()
	b, err := files.Read(context.Background(), path, files.MaxSize)
	if err != nil {
		return "the Docker config"
	}
	var cf struct {
		CredHelpers map[string]string `json:"credHelpers"`
		CredsStore  string            `json:"credsStore"`
	}
	_ = json.Unmarshal(b, &cf)
	switch {
	case cf.CredHelpers[host] != "":
		return "credential helper docker-credential-" + cf.CredHelpers[host] + " (" + path + ")"
	case cf.CredsStore != "":
		return "credential store docker-credential-" + cf.CredsStore + " (" + path + ")"
	}
	return "the Docker config file " + path
}

// dockerConfigPath is the file the default keychain reads.
func dockerConfigPath() string {
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "~/.docker/config.json"
		}
		dir = filepath.Join(home, ".docker")
	}
	return filepath.Join(dir, "config.json")
}

// refused says, for a 401 or 403 from host, which credentials were refused
// and what to try: none were found (and --registry-auth names a near miss),
// or those from a named source were refused.
func (k *sourced) refused(host string) string {
	source := k.source(host)
	if source == "" || strings.HasPrefix(source, "none") {
		msg := fmt.Sprintf("no credentials for %s (none in %s, the Docker config %s", host, cmpOr(k.label, "--registry-auth"), dockerConfigPath())
		if host == "ghcr.io" {
			msg += " or the GitHub token"
		}
		msg += "), and it refused anonymous access"
		if near := k.static.near(host); near != "" {
			msg += fmt.Sprintf("; %s names %s — did you mean %s?", cmpOr(k.label, "--registry-auth"), near, host)
		}
		return msg
	}
	return fmt.Sprintf("the credentials from %s were refused: check the user and the password or token for %s", source, host)
}

// checkDockerConfig reads the Docker config file the default keychain will
// use (DOCKER_CONFIG, else ~/.docker) and refuses one that is not JSON. The
// keychain would only fail at the first request, as if the registry had;
// a broken local file is bad input. Credential helpers are not run here.
func checkDockerConfig() error {
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil // no home: the keychain falls back to anonymous
		}
		dir = filepath.Join(home, ".docker")
	}
	path := filepath.Join(dir, "config.json")
	b, err := files.Read(context.Background(), path, files.MaxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if !json.Valid(b) {
		return fmt.Errorf("%s is not valid JSON (DOCKER_CONFIG points tagguard at it)", path)
	}
	return nil
}
