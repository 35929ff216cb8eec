package registry

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
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

// staticKeychain answers with the --registry-auth credential for a host.
type staticKeychain []Credential

func (k staticKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	for _, c := range k {
		if c.Host == canonicalHost(r.RegistryStr()) {
			return &authn.Basic{Username: c.User, Password: c.Secret}, nil
		}
	}
	return authn.Anonymous, nil
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

// noting hands every credential the keychain resolves to note before
// go-containerregistry sends it: the Docker config's auths, credential
// helpers and stores are read only here, at the first request to a host,
// and a registry that echoes what it was sent must find it masked.
type noting struct {
	inner authn.Keychain
	note  func(user, secret string)
}

func (k noting) Resolve(r authn.Resource) (authn.Authenticator, error) {
	a, err := k.inner.Resolve(r)
	if err != nil || k.note == nil || a == authn.Anonymous {
		return a, err
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

func keychain(cfg Config) authn.Keychain {
	return authn.NewMultiKeychain(
		staticKeychain(cfg.Credentials),
		authn.DefaultKeychain,
		ghcrKeychain{user: cfg.GitHubActor, token: cfg.GitHubToken, owner: cfg.GitHubOwner},
	)
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
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
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
