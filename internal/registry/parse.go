// Package registry is the only code in tagguard that speaks to OCI
// registries. It stands on go-containerregistry and adds what a release guard
// needs around it: HEAD-first digests with a GET fallback, strict reference
// parsing, bounded concurrency, retries that honour Retry-After within
// --timeout, and plain HTTP only where the operator allowed it.
package registry

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/refs"
)

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
