// Package policy decides what a tag is: an immutable version, a floating
// pointer that must only move forward, or a mutable label. It is pure logic
// with no I/O, so every rule is tested with tables.
package policy

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Kind is how a guard treats a tag.
type Kind string

// The tag kinds: how the guards treat a tag.
const (
	Immutable Kind = "immutable" // must never be overwritten
	Floating  Kind = "floating"  // latest, 1, 1.2: may move, but only forward
	Mutable   Kind = "mutable"   // anything else: may move freely
)

// Policy holds the user's tag rules. The zero Policy is the default: a tag is
// immutable when it is a complete semantic version.
type Policy struct {
	// Immutable, when non-empty, replaces the semver rule: a tag is immutable
	// when it matches one of these globs.
	Immutable []string
	// Mutable carves exceptions out of whichever immutable rule applies.
	Mutable []string
}

// New validates the globs and returns a Policy.
func New(immutable, mutable []string) (Policy, error) {
	for _, g := range append(append([]string(nil), immutable...), mutable...) {
		if err := ValidGlob(g); err != nil {
			return Policy{}, err
		}
	}
	return Policy{Immutable: immutable, Mutable: mutable}, nil
}

// ValidGlob reports whether g is a well-formed glob (path.Match syntax).
func ValidGlob(g string) error {
	if strings.TrimSpace(g) == "" {
		return fmt.Errorf("empty glob")
	}
	if _, err := path.Match(g, ""); err != nil {
		return fmt.Errorf("glob %q: %w", g, err)
	}
	return nil
}

// MatchAny reports whether s matches one of the globs, which must be valid.
func MatchAny(globs []string, s string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok {
			return true
		}
	}
	return false
}

// MatchRef reports whether a tag matches one of the --tags globs: a glob
// holding "/" against the whole reference (any spelling in refs, as
// written or normalised: 'ghcr.io/org/app:*' picks one repository), any
// other against the tag name alone.
func MatchRef(globs []string, tag string, refs ...string) bool {
	for _, g := range globs {
		if !strings.Contains(g, "/") {
			if ok, _ := path.Match(g, tag); ok {
				return true
			}
			continue
		}
		for _, r := range refs {
			if ok, _ := path.Match(g, r); ok {
				return true
			}
		}
	}
	return false
}

// sigTag matches the fallback tags cosign and GHCR write for signatures,
// attestations and SBOMs. Those tools rewrite them by design, so they are never
// immutable whatever the globs say.
var sigTag = regexp.MustCompile(`^sha256-[a-f0-9]{64}(\.(sig|att|sbom))?$`)

// floatingTag matches latest, a bare major and a major.minor, with an optional v.
var floatingTag = regexp.MustCompile(`^v?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?$`)

// Kind returns how the guards treat tag.
func (p Policy) Kind(tag string) Kind {
	if sigTag.MatchString(tag) {
		return Mutable
	}
	immutable := false
	if len(p.Immutable) > 0 {
		immutable = MatchAny(p.Immutable, tag)
	} else {
		_, immutable = ParseVersion(tag)
	}
	if immutable && !MatchAny(p.Mutable, tag) {
		return Immutable
	}
	if _, ok := LineOf(tag); ok {
		return Floating
	}
	return Mutable
}

// DefaultKind is the kind of tag under the default rule (no
// --immutable-tags or --mutable-tags): a complete version is immutable.
func DefaultKind(tag string) Kind { return Policy{}.Kind(tag) }

// ParseVersion parses a complete semantic version with an optional leading
// v, strictly: 1.2.3, v1.2.3 and 1.2.3-rc.1 are versions; 1.2, 01.2.3 are not.
func ParseVersion(s string) (*semver.Version, bool) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(s, "v"))
	if err != nil {
		return nil, false
	}
	return v, true
}

// Line is the set of versions a floating tag stands for.
type Line struct {
	Tag   string // the floating tag, as given
	Major int64  // -1 for latest
	Minor int64  // -1 for latest or a bare major
}

// LineOf returns the line of a floating tag: latest, 1 / v1, 1.2 / v1.2.
func LineOf(tag string) (Line, bool) {
	if tag == "latest" {
		return Line{Tag: tag, Major: -1, Minor: -1}, true
	}
	m := floatingTag.FindStringSubmatch(tag)
	if m == nil {
		return Line{}, false
	}
	l := Line{Tag: tag, Minor: -1}
	var err error
	if l.Major, err = strconv.ParseInt(m[1], 10, 64); err != nil {
		return Line{}, false
	}
	if m[3] != "" {
		if l.Minor, err = strconv.ParseInt(m[3], 10, 64); err != nil {
			return Line{}, false
		}
	}
	return l, true
}

// Contains reports whether v is a release on this line. Prereleases are on no
// line: a floating tag names released versions.
func (l Line) Contains(v *semver.Version) bool {
	if v.Prerelease() != "" {
		return false
	}
	if l.Major >= 0 && int64(v.Major()) != l.Major {
		return false
	}
	if l.Minor >= 0 && int64(v.Minor()) != l.Minor {
		return false
	}
	return true
}

// Where says where on the version space the line lies, for a report:
// "among all releases" or "on the 1.x.y line".
func (l Line) Where() string {
	if l.Major < 0 {
		return "among all releases"
	}
	return "on the " + l.String() + " line"
}

// String describes the line for a report.
func (l Line) String() string {
	switch {
	case l.Major < 0:
		return "all releases"
	case l.Minor < 0:
		return fmt.Sprintf("%d.x.y", l.Major)
	default:
		return fmt.Sprintf("%d.%d.y", l.Major, l.Minor)
	}
}

// Highest returns the highest version among tags that lies on the line, and
// the tag that names it. ok is false when no tag is on the line.
func (l Line) Highest(tags []string) (best *semver.Version, bestTag string, ok bool) {
	for _, t := range tags {
		v, isVersion := ParseVersion(t)
		if !isVersion || !l.Contains(v) {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best, bestTag = v, t
		}
	}
	return best, bestTag, best != nil
}

// VersionTag is a version and the tag that names it.
type VersionTag struct {
	Version *semver.Version
	Tag     string
}

// MaxAdvanceCandidates bounds how many newer versions a floating tag is
// compared with: a tag that moved along its line points at one of the
// newest, and each comparison is a registry request.
const MaxAdvanceCandidates = 3

// AdvanceCandidates is the one rule for a floating tag found away from its
// recorded digest (restore and audit; check and promote block the same
// move before it happens, with Highest): it has advanced when it now points
// at a version on its line newer than since, the version it was recorded
// with, and this returns the versions to compare its digest with, newest
// first, at most MaxAdvanceCandidates. Any other move is drift. When the
// recorded version is not known (since nil: the ledger recorded no version
// tag at that digest, an undo ledger, a pin) there is nothing to be newer
// than, and no move counts as an advance.
func (l Line) AdvanceCandidates(tags []string, since *semver.Version) []VersionTag {
	if since == nil {
		return nil
	}
	var out []VersionTag
	for _, t := range tags {
		v, isVersion := ParseVersion(t)
		if !isVersion || !l.Contains(v) || !v.GreaterThan(since) {
			continue
		}
		out = append(out, VersionTag{v, t})
	}
	slices.SortFunc(out, func(a, b VersionTag) int {
		if c := b.Version.Compare(a.Version); c != 0 {
			return c
		}
		return strings.Compare(a.Tag, b.Tag)
	})
	return out[:min(MaxAdvanceCandidates, len(out))]
}
