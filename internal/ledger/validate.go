package ledger

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/refs"
)

// The grammar of the ledger's other fields; references and digests are
// internal/refs'.
var (
	mediaTypeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$`)
	platformRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}/[A-Za-z0-9][A-Za-z0-9._-]{0,63}(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,63})?(?::[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$`)

	repositoryRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`)
	shaRE        = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)
	// Parentheses, spaces and angle brackets are left out so that the URL can
	// be a Markdown link target as it is.
	runRE = regexp.MustCompile(`^https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+$`)
)

// Length caps checked before any parsing, so a hostile megabyte-long value
// costs nothing.
const (
	maxRefLen        = refs.MaxLen
	maxGitRefLen     = 1024
	maxRunLen        = 2048
	maxMediaTypeLen  = 255
	maxRecordedInLen = 1024
)

// Validate checks l against the grammar of the ledger format: an explicit
// tag and no digest in every ref, exact sha256/sha512 digests, no tag twice,
// well-formed media types, platforms and source, and the limits MaxImages and
// MaxPlatforms. An empty Schema counts as Schema, so a ledger built in code
// need not set it. The error is a *ValidationError.
func (l *Ledger) Validate() error {
	if l == nil {
		return invalid("ledger", "", "is missing")
	}
	if l.Schema != "" {
		if err := checkSchema(l.Schema); err != nil {
			return err
		}
	}
	if !l.Created.IsZero() && (l.Created.Year() < 0 || l.Created.Year() > 9999) {
		return invalid("created", l.Created.String(), "is outside the years 0–9999 of RFC 3339")
	}
	if err := l.Source.validate(); err != nil {
		return err
	}
	if len(l.Images) > MaxImages {
		return invalid("images", "", "holds %d entries, more than the %d a ledger may hold", len(l.Images), MaxImages)
	}
	seen := make(map[string]int, len(l.Images))
	for i, im := range l.Images {
		key, err := im.validate(fmt.Sprintf("images[%d]", i))
		if err != nil {
			return err
		}
		if j, dup := seen[key]; dup {
			return invalid(fmt.Sprintf("images[%d].ref", i), im.Ref,
				"names the same tag as images[%d]; a ledger holds one digest per tag", j)
		}
		seen[key] = i
	}
	return nil
}

// checkSchema accepts Schema, and refuses a newer major version with the
// advice to upgrade rather than a confusing error about some field that
// changed meaning.
func checkSchema(s string) error {
	const field = "schema"
	if s == "" {
		return invalid(field, "", "is missing; a tagguard ledger declares %q", Schema)
	}
	if s == Schema {
		return nil
	}
	if major, ok := strings.CutPrefix(s, schemaPrefix); ok && isVersion(major) {
		if major == "0" {
			return invalid(field, s, "is not a schema this tagguard understands (v1)")
		}
		return invalid(field, s, "is newer than this tagguard understands (v1): upgrade tagguard")
	}
	return invalid(field, s, "is not a tagguard ledger schema (want %q)", Schema)
}

// isVersion reports whether s is a decimal number without leading zeros.
// Its size does not matter: any number other than 0 and 1 is newer.
func isVersion(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	return strings.Trim(s, "0123456789") == ""
}

func (s Source) validate() error {
	if s.Repository != "" && !repositoryRE.MatchString(s.Repository) {
		return invalid("source.repository", s.Repository, "is not a GitHub repository (owner/name)")
	}
	if s.SHA != "" && !shaRE.MatchString(s.SHA) {
		return invalid("source.sha", s.SHA, "is not a commit SHA (40 or 64 lowercase hex digits)")
	}
	if s.Ref != "" && !validGitRef(s.Ref) {
		return invalid("source.ref", s.Ref, "is not a git ref (refs/…)")
	}
	if s.Run != "" && !validRunURL(s.Run) {
		return invalid("source.run", s.Run, "is not an http(s) URL of a workflow run")
	}
	return nil
}

// validGitRef follows git check-ref-format, minus what git allows but no
// workflow produces.
func validGitRef(s string) bool {
	if len(s) > maxGitRefLen || !strings.HasPrefix(s, "refs/") || !utf8.ValidString(s) {
		return false
	}
	if strings.Contains(s, "..") || strings.Contains(s, "@{") || strings.Contains(s, "//") ||
		strings.HasSuffix(s, "/") || strings.HasSuffix(s, ".") || strings.HasSuffix(s, ".lock") {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || !unicode.IsPrint(r) || strings.ContainsRune("~^:?*[\\", r)
	})
}

func validRunURL(s string) bool {
	if len(s) > maxRunLen || !runRE.MatchString(s) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Host != ""
}

// validate checks one image and returns the canonical name of its tag, by
// which duplicates are found.
func (im Image) validate(field string) (string, error) {
	key, err := parseTag(field+".ref", im.Ref)
	if err != nil {
		return "", err
	}
	if err := checkDigest(field+".digest", im.Digest); err != nil {
		return "", err
	}
	if len(im.RecordedIn) > maxRecordedInLen || !utf8.ValidString(im.RecordedIn) || strings.ContainsFunc(im.RecordedIn, unicode.IsControl) {
		return "", invalid(field+".recordedIn", im.RecordedIn, "is not a short line of text")
	}
	if im.MediaType != "" && (len(im.MediaType) > maxMediaTypeLen || !mediaTypeRE.MatchString(im.MediaType)) {
		return "", invalid(field+".mediaType", im.MediaType, "is not a media type (type/subtype)")
	}
	if len(im.Platforms) > MaxPlatforms {
		return "", invalid(field+".platforms", "", "holds %d entries, more than the %d an image may list", len(im.Platforms), MaxPlatforms)
	}
	for j, p := range im.Platforms {
		pf := fmt.Sprintf("%s.platforms[%d]", field, j)
		if !platformRE.MatchString(p.Platform) {
			return "", invalid(pf+".platform", p.Platform, "is not a platform (os/arch or os/arch/variant)")
		}
		if err := checkDigest(pf+".digest", p.Digest); err != nil {
			return "", err
		}
		if err := p.Attached.validate(pf + ".attached"); err != nil {
			return "", err
		}
	}
	if err := im.Attached.validate(field + ".attached"); err != nil {
		return "", err
	}
	return key, nil
}

// placeRE is a place an attachment was found: a few lower-case words.
var placeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9 ._-]{0,40}$`)

func (a *Attached) validate(field string) error {
	if a == nil {
		return nil
	}
	for key, list := range map[string][]string{"signatures": a.Signatures, "attestations": a.Attestations, "sboms": a.SBOMs} {
		if len(list) > maxAttachedPlaces {
			return invalid(field+"."+key, "", "holds %d entries, more than %d", len(list), maxAttachedPlaces)
		}
		for i, s := range list {
			if !placeRE.MatchString(s) {
				return invalid(fmt.Sprintf("%s.%s[%d]", field, key, i), s, "is not a place an attachment is found (e.g. referrers API)")
			}
		}
	}
	return nil
}

// parseTag checks that s is a tag reference, REPO:TAG, with the grammar of
// internal/refs, and returns its canonical name. A digest part is refused
// rather than ignored: a ledger says which digest a tag pointed at, so
// "app:1@sha256:…" is ambiguous.
func parseTag(field, s string) (string, error) {
	if s == "" {
		return "", invalid(field, "", "is missing")
	}
	if strings.Contains(s, "@") && len(s) <= refs.MaxLen {
		return "", invalid(field, s, "has a digest part; a ledger entry names a tag (REPO:TAG) and keeps its digest in \"digest\"")
	}
	if p := refs.Problem(s); p != "" {
		return "", invalid(field, s, "%s", p)
	}
	t, err := name.NewTag(s, name.WithDefaultTag(""))
	if err != nil {
		return "", invalid(field, s, "is not a valid image reference (%s)", clean(err))
	}
	return t.Name(), nil
}

// tagKey is the canonical name of ref, or ref itself when it does not parse,
// so that Merge, which cannot fail, still treats identical strings as one tag.
func tagKey(ref string) string {
	if strings.Contains(ref, "@") || len(ref) > maxRefLen {
		return ref
	}
	t, err := name.NewTag(ref, name.WithDefaultTag(""))
	if err != nil || t.TagStr() == "" {
		return ref
	}
	return t.Name()
}

// checkDigest accepts sha256 digests only (internal/refs): tagguard
// verifies what it reads with sha256, so a sha512 entry could never be
// restored faithfully.
func checkDigest(field, s string) error {
	if s == "" {
		return invalid(field, "", "is missing")
	}
	if _, err := refs.ParseDigest(s); err != nil {
		return invalid(field, s, "is not a digest (sha256: and 64 lowercase hex digits; only sha256 is supported)")
	}
	return nil
}
