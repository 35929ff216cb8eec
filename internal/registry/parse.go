// Package registry is the only code in tagguard that speaks to OCI
// registries. It stands on go-containerregistry and adds what a release guard
// needs around it: HEAD-first digests with a GET fallback, strict reference
// parsing, bounded concurrency, retries that honour Retry-After within
// --timeout, and plain HTTP only where the operator allowed it.
package registry

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tagguard/tagguard/internal/refs"
)

// ParseDigest parses a sha256 digest (internal/refs): any other algorithm
// is refused.
func ParseDigest(s string) (v1.Hash, error) { return refs.ParseDigest(s) }
