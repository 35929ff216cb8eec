// Package ledger is the record of which digest each image tag pointed at
// when it was published: the versioned JSON format that `record` writes and
// `restore` reads, and the section of GitHub release notes that carries it.
//
// Everything here is pure logic. A ledger is read from places a person or an
// attacker can edit (release notes, files), so Parse and Extract validate
// every value against the strict reference and digest grammar before anything
// else in tagguard may use it, and their errors never echo input unquoted.
package ledger

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"time"
)

// Schema is the schema string of the ledger format this package writes.
const Schema = "tagguard.ledger/v1"

// schemaPrefix is what every version of the schema starts with; the major
// version number follows it.
const schemaPrefix = "tagguard.ledger/v"

// Limits on what Parse accepts. They are far above any real release and keep
// a hostile ledger from costing much memory or time.
const (
	// MaxSize is the largest ledger JSON Parse reads, in bytes.
	MaxSize = 4 << 20
	// MaxImages is the most images one ledger may hold.
	MaxImages = 10000
	// MaxPlatforms is the most platforms one image may list.
	MaxPlatforms = 256
)

// Ledger records the digest behind each published tag.
type Ledger struct {
	// Schema is "tagguard.ledger/v1". Marshal always writes Schema.
	Schema string `json:"schema"`
	// Created is when the ledger was written. Zero means unknown.
	Created time.Time `json:"created,omitzero"`
	// Source is what produced the images, as far as it is known.
	Source Source `json:"source"`
	// Images holds one entry per tag.
	Images []Image `json:"images"`
}

// Source says which repository, commit, git ref and workflow run published
// the images. Every field is optional.
type Source struct {
	// Repository is the GitHub repository, "owner/name".
	Repository string `json:"repository,omitempty"`
	// SHA is the commit, 40 or 64 lowercase hex digits.
	SHA string `json:"sha,omitempty"`
	// Ref is the git ref, such as "refs/tags/v1.2.3".
	Ref string `json:"ref,omitempty"`
	// Run is the URL of the workflow run.
	Run string `json:"run,omitempty"`
}

// Image is one tag and the digest it pointed at.
type Image struct {
	// Ref is the image reference with an explicit tag and no digest,
	// such as "ghcr.io/org/app:0.15.0".
	Ref string `json:"ref"`
	// Digest is the manifest or index digest, "sha256:<64 hex>".
	Digest string `json:"digest"`
	// MediaType is the manifest's media type; empty when unknown.
	MediaType string `json:"mediaType,omitempty"`
	// Platforms lists the manifests of an image index.
	Platforms []Platform `json:"platforms,omitempty"`
	// Attached is what was attached to the digest when it was recorded:
	// signatures, attestations, SBOMs, each by where it was found.
	// Optional: a ledger without it is as valid (and older ones lack it).
	Attached *Attached `json:"attached,omitempty"`
	// RecordedIn names where this digest was recorded ("release v1.2.3",
	// "ledger file PATH") when the ledger gathers records of several:
	// audit's drift ledger. Optional; restore shows it in its plan.
	RecordedIn string `json:"recordedIn,omitempty"`
}

// Platform is one manifest of an image index.
type Platform struct {
	// Platform is "os/arch" or "os/arch/variant", optionally followed by
	// ":osversion" as go-containerregistry's v1.Platform.String writes it.
	Platform string `json:"platform"`
	// Digest is the platform manifest's digest.
	Digest string `json:"digest"`
	// Attached is what was attached to this platform's manifest.
	Attached *Attached `json:"attached,omitempty"`
}

// Attached lists, per kind, where attachments of a digest were found:
// "legacy tag", "referrers API", "fallback tag", "inline BuildKit".
type Attached struct {
	Signatures   []string `json:"signatures,omitempty"`
	Attestations []string `json:"attestations,omitempty"`
	SBOMs        []string `json:"sboms,omitempty"`
	// Gone and Foreign are referrers a read found listed but did not
	// count (not there; about another digest): named in the text
	// reports, never written to a ledger or a JSON report.
	Gone    []string `json:"-"`
	Foreign []string `json:"-"`
}

// Equal reports whether a and b record the same: nil (not read) equals
// only nil.
func (a *Attached) Equal(b *Attached) bool {
	if a == nil || b == nil {
		return a == b
	}
	return slices.Equal(a.Signatures, b.Signatures) && slices.Equal(a.Attestations, b.Attestations) && slices.Equal(a.SBOMs, b.SBOMs)
}

// SamePlatforms reports whether two platform lists record the same
// manifests, and the same attachments to each.
func SamePlatforms(a, b []Platform) bool {
	return slices.EqualFunc(a, b, func(x, y Platform) bool {
		return x.Platform == y.Platform && x.Digest == y.Digest && x.Attached.Equal(y.Attached)
	})
}

// maxAttachedPlaces bounds each list of an Attached.
const maxAttachedPlaces = 8

// Merge combines two ledgers of one release by tag: each image of next
// replaces the image of prev that names the same tag, the other images of
// prev are kept, and Created and Source come from next. Tags are compared by
// their canonical name, so "app:1" and "index.docker.io/library/app:1" are
// the same tag. Either argument may be nil. The result is a new ledger in
// canonical order; neither argument is changed.
func Merge(prev, next *Ledger) *Ledger {
	out := &Ledger{Schema: Schema}
	if next != nil {
		out.Created, out.Source = next.Created, next.Source
	}
	byKey := map[string]int{}
	add := func(im Image) {
		k := tagKey(im.Ref)
		if i, ok := byKey[k]; ok {
			out.Images[i] = im
			return
		}
		byKey[k] = len(out.Images)
		out.Images = append(out.Images, im)
	}
	if prev != nil {
		for _, im := range prev.Images {
			add(im)
		}
	}
	if next != nil {
		for _, im := range next.Images {
			add(im)
		}
	}
	return out.canonical()
}

// canonical returns a deep copy of l in the order Marshal writes: images by
// ref, platforms by platform, Created in UTC. A fixed order makes re-running
// record produce byte-identical release notes, and golden tests possible.
func (l *Ledger) canonical() *Ledger {
	c := &Ledger{
		Schema:  Schema,
		Created: l.Created.UTC(),
		Source:  l.Source,
	}
	// Empty stays nil, as Parse returns it, so a round trip compares equal.
	if len(l.Images) > 0 {
		c.Images = make([]Image, len(l.Images))
	}
	for i, im := range l.Images {
		im.Platforms = slices.Clone(im.Platforms)
		slices.SortStableFunc(im.Platforms, func(a, b Platform) int {
			return cmp.Or(cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.Digest, b.Digest))
		})
		c.Images[i] = im
	}
	slices.SortStableFunc(c.Images, func(a, b Image) int { return cmp.Compare(a.Ref, b.Ref) })
	return c
}

// Marshal validates l and returns it as canonical, indented JSON with a
// trailing newline: the same ledger always gives the same bytes. The schema
// written is always Schema. The error is a *ValidationError.
func (l *Ledger) Marshal() ([]byte, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	b := l.canonical().encode()
	if len(b) > MaxSize {
		// Parse would refuse it: a ledger nobody can read back is no record.
		return nil, invalid("ledger", "", "encodes to %d bytes, more than the %d Parse reads", len(b), MaxSize)
	}
	return b, nil
}

// encode writes l without validating it. The Created field is formatted by
// hand: time.Time's own marshaller fails outside years 0–9999, and Section,
// which cannot fail, encodes ledgers nobody validated.
func (l *Ledger) encode() []byte {
	w := struct {
		Schema  string  `json:"schema"`
		Created string  `json:"created,omitempty"`
		Source  Source  `json:"source"`
		Images  []Image `json:"images"`
	}{Schema: l.Schema, Source: l.Source, Images: l.Images}
	if !l.Created.IsZero() {
		w.Created = l.Created.Format(time.RFC3339Nano)
	}
	if w.Images == nil {
		w.Images = []Image{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// HTML escaping stays on: "<" becomes \u003c, so no value can close the
	// HTML comment of a section marker or open one in release notes.
	enc.SetIndent("", "  ")
	if err := enc.Encode(w); err != nil {
		// Only strings and a struct of strings are encoded; this cannot fail.
		panic("ledger: encoding JSON: " + err.Error())
	}
	return buf.Bytes()
}
