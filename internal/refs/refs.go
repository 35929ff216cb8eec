// Package refs is the one place for the grammar of image references, tags
// and digests: the registry client and the ledger both parse with it, so a
// reference one accepts the other cannot refuse.
package refs

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The reference grammar of distribution/reference, which registries enforce.
// go-containerregistry's name package parses references but is looser (it
// accepts "a//b", a tag starting with "." and any RFC 3986 authority such as
// "host:1:2"), so a reference must pass both.
var (
	domainRE = regexp.MustCompile(`^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$`)
	pathRE   = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// MaxLen bounds a reference before any parsing, so a hostile megabyte-long
// value costs nothing.
const MaxLen = 512

// DigestLen is the length of a sha256 digest string.
const DigestLen = len("sha256:") + 64

// Problem says what is wrong with the grammar of a tag reference, or ""
// when REPO:TAG is well formed. A digest part is refused rather than
// ignored, and the tag must be written out: tagguard never assumes latest.
func Problem(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > MaxLen:
		return fmt.Sprintf("is longer than %d bytes", MaxLen)
	case strings.ContainsAny(s, " \t\r\n"):
		return "contains white space"
	case strings.Contains(s, "://"):
		return "must not contain a URL scheme; write REGISTRY/REPO:TAG"
	case strings.Contains(s, "@"):
		return "has a digest part; expected REPO:TAG without a digest"
	case !strings.Contains(s[strings.LastIndex(s, "/")+1:], ":"):
		return "has no tag: write REPO:TAG (tagguard never assumes latest)"
	}
	t, err := name.NewTag(s, name.WithDefaultTag(""))
	if err != nil {
		return "is not a valid image reference (" + oneLine(err.Error()) + ")"
	}
	// Where the registry part ends, as name.NewTag split it: a repository
	// without a host is Docker Hub's, but "host:1:2/app" must not pass as a
	// repository path either.
	host, _, hasHost := strings.Cut(s, "/")
	if hasHost && (strings.ContainsAny(host, ".:") || host == "localhost") && !domainRE.MatchString(host) {
		return "has an invalid registry host " + quote(host)
	}
	if p := ForbiddenHost(t.RegistryStr()); p != "" {
		return p
	}
	switch {
	case t.TagStr() == "":
		return "has no tag: write REPO:TAG (tagguard never assumes latest)"
	case !tagRE.MatchString(t.TagStr()):
		return "has an invalid tag (letters, digits, _ . - and at most 128 characters, not starting with . or -)"
	case !domainRE.MatchString(t.RegistryStr()):
		return "has an invalid registry host"
	case !pathRE.MatchString(t.RepositoryStr()):
		return "has an invalid repository path (lowercase components of letters and digits, separated by / and single . _ or -)"
	}
	return ""
}

// RepositoryProblem is Problem for a repository without a tag (REPO, as in
// REPO@sha256:…).
func RepositoryProblem(s string) string {
	if p := Problem(s + ":x"); p != "" && !strings.HasPrefix(p, "has an invalid tag") {
		return p
	}
	return ""
}

// ImageProblem is Problem for an image as a deploy file names it: REPO,
// REPO:TAG, REPO@sha256:… or REPO:TAG@sha256:… (compose pulls latest for a
// bare REPO; that is for the caller to judge, not the grammar). Every
// image a compose file names passes it before any request, so a host the
// grammar or the dial guard refuses is bad input, never dialled.
func ImageProblem(s string) string {
	if len(s) > MaxLen+DigestLen+1 {
		return fmt.Sprintf("is longer than %d bytes", MaxLen+DigestLen+1)
	}
	ref, dig, hasDigest := strings.Cut(s, "@")
	if hasDigest {
		if _, err := ParseDigest(dig); err != nil || strings.TrimSpace(dig) != dig {
			return "has an invalid digest part (want sha256:<64 lowercase hex>)"
		}
	}
	if strings.Contains(ref[strings.LastIndex(ref, "/")+1:], ":") {
		return Problem(ref)
	}
	return RepositoryProblem(ref)
}

// ParseDigest parses a sha256 digest. tagguard hashes what it reads with
// sha256 only, so any other algorithm is refused.
func ParseDigest(s string) (v1.Hash, error) {
	s = strings.TrimSpace(s)
	if alg, _, ok := strings.Cut(s, ":"); ok && alg != "sha256" && alg != "" && len(s) <= 2*DigestLen {
		return v1.Hash{}, fmt.Errorf("digest %q: only sha256 digests are supported (tagguard verifies what it reads with sha256)", s)
	}
	if len(s) != DigestLen {
		return v1.Hash{}, fmt.Errorf("digest %s is not of the form sha256:<64 lowercase hex>", quote(s))
	}
	h, err := v1.NewHash(s)
	if err != nil || h.Algorithm != "sha256" || strings.ToLower(h.Hex) != h.Hex {
		return v1.Hash{}, fmt.Errorf("digest %q is not of the form sha256:<64 lowercase hex>", s)
	}
	return h, nil
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf("%q", s)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// metadataHosts are the cloud metadata services, by name and by address
// (GCP, AWS by name and over IPv6, Alibaba): a ledger or release note that
// names one as a registry must not make tagguard send a request there.
var metadataHosts = []string{"metadata", "metadata.google.internal", "instance-data", "instance-data.ec2.internal", "100.100.100.200", "fd00:ec2::254"}

// ForbiddenHost says why host (host[:port]) is never dialled as a
// registry, or "": a link-local address (169.254.0.0/16, fe80::/10, where
// every cloud's metadata service answers) or a cloud metadata host.
func ForbiddenHost(hostport string) string {
	if why := Forbidden(hostport); why != "" {
		return "names " + why + " as its registry (" + bare(hostport) + "): refused"
	}
	return ""
}

// Forbidden says what host (host[:port]) is, when it is one tagguard never
// dials ("a link-local address, where cloud metadata services answer"),
// or "": the words every refusal of such a host is made of.
func Forbidden(hostport string) string {
	host := bare(hostport)
	ip := net.ParseIP(host)
	switch {
	case ip != nil && (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()):
		return "a link-local address, where cloud metadata services answer"
	case slices.Contains(metadataHosts, host) || (ip != nil && slices.ContainsFunc(metadataHosts, func(m string) bool { return ip.Equal(net.ParseIP(m)) })):
		return "a cloud metadata service"
	}
	return ""
}

// bare is host without port and brackets, lower-case.
func bare(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
}

// IsLoopback reports whether host (without port; brackets allowed) is
// localhost or a loopback IP: the only hosts plain HTTP may reach unasked.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// GitRefProblem says what makes s no git branch or tag name (git
// check-ref-format's rules), or "": --base, --release-tag and
// --from-release are checked with it before any request.
func GitRefProblem(s string) string {
	switch {
	case len(s) > 255:
		return "is longer than 255 bytes"
	case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "contains white space or a control character"
	case strings.ContainsAny(s, "~^:?*[\\"):
		return "contains one of ~ ^ : ? * [ \\, which git refuses in a ref name"
	case strings.Contains(s, "..") || strings.Contains(s, "@{") || strings.Contains(s, "//"):
		return "contains .., @{ or //, which git refuses in a ref name"
	case strings.HasPrefix(s, "-") || strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.HasSuffix(s, ".") || strings.HasSuffix(s, ".lock"):
		return "starts with - or /, or ends with /, . or .lock, which git refuses"
	}
	return ""
}
