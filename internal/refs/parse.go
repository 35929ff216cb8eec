package refs

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ParseTag parses REPO:TAG strictly, with the grammar of this package:
// the tag must be written out (no implicit latest), a digest is not
// allowed, and the registry host and repository path must be ones a
// registry accepts, so a malformed reference is bad input before any
// request. It is pure: whether a host is spoken to over plain HTTP is the
// registry client's to decide, per host, at request time.
func ParseTag(s string) (name.Tag, error) {
	s = strings.TrimSpace(s)
	if p := Problem(s); p != "" {
		return name.Tag{}, fmt.Errorf("image %q %s", clip(s), p)
	}
	t, err := name.NewTag(s)
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
func ParseTags(list []string) ([]name.Tag, []error) {
	seen := map[string]bool{}
	var tags []name.Tag
	var bad []error
	for _, s := range list {
		if strings.TrimSpace(s) == "" {
			continue
		}
		t, err := ParseTag(s)
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
func ParsePin(s string) (name.Tag, v1.Hash, error) {
	s = strings.TrimSpace(s)
	ref, dig, ok := strings.Cut(s, "@")
	if !ok {
		return name.Tag{}, v1.Hash{}, fmt.Errorf("pin %q: expected REPO:TAG@sha256:<digest>", s)
	}
	t, err := ParseTag(ref)
	if err != nil {
		return name.Tag{}, v1.Hash{}, fmt.Errorf("pin %q: %w", s, err)
	}
	h, err := ParseDigest(dig)
	if err != nil {
		return name.Tag{}, v1.Hash{}, fmt.Errorf("pin %q: %w", s, err)
	}
	return t, h, nil
}

// Loose parses REPO:TAG as a ledger records it or a compose file names it:
// judged already where it was read (a ledger is validated when parsed) or
// to be judged by the registry, so with go-containerregistry's weak
// validation. Like every parse here it carries no transport setting.
func Loose(s string) (name.Tag, error) { return name.NewTag(s, name.WeakValidation) }

// LooseRepository is Loose for a repository with no tag.
func LooseRepository(s string) (name.Repository, error) {
	return name.NewRepository(s, name.WeakValidation)
}
