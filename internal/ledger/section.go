package ledger

import (
	"fmt"
	"strings"
	"time"
)

// The markers that delimit the ledger section of release notes. Each counts
// only on a line of its own (surrounding spaces allowed), so notes that
// mention a marker inside a sentence do not confuse Extract.
const (
	// BeginMarker opens the section.
	BeginMarker = "<!-- tagguard:ledger:begin -->"
	// EndMarker closes the section.
	EndMarker = "<!-- tagguard:ledger:end -->"
)

// AssetName is the release asset that holds a release's ledger beside its
// notes: on an immutable release, once published, nobody can replace it,
// while the notes stay editable by anyone with write access.
const AssetName = "tagguard-ledger.json"

// PendingAssetName is where a replacement of the asset waits, uploaded
// whole, until the old one is gone; a reader takes it when a run cut
// short left it alone.
const PendingAssetName = AssetName + ".pending"

// AssetMarker stands in the notes, in place of the ledger's JSON, when the
// ledger is too large for them (GitHub's limit on release notes is 125,000
// characters): the asset alone holds it.
const AssetMarker = "<!-- tagguard:ledger:asset -->"

// PointsToAsset reports whether the notes say the ledger is in the asset
// alone.
func PointsToAsset(body string) bool { return strings.Contains(body, AssetMarker) }

const (
	fenceOpen  = "```json"
	fenceClose = "```"
)

// Section renders l as a release-notes section: the begin marker, a heading,
// a table of refs, digests and platforms for people, the canonical ledger
// JSON in a ```json block for tagguard, and the end marker, each line ending
// in "\n". It does not validate l (Upsert does); values that could break the
// Markdown are escaped all the same.
func Section(l *Ledger) string { return sectionFor(l, "") }

// sectionFor is Section naming the release's own tag in its restore
// command ("" when it is not known).
func sectionFor(l *Ledger, tag string) string {
	if l == nil {
		l = &Ledger{}
	}
	c := l.canonical()
	var b strings.Builder
	b.WriteString(BeginMarker + "\n")
	b.WriteString("### Image digests\n\n")
	b.WriteString("The digest each tag pointed at when it was published, recorded by tagguard. " +
		"If a tag is overwritten, `tagguard restore --from-release " + releaseTag(tag) + "` points it back.\n")
	b.WriteString("\nThe same ledger is the release asset `" + AssetName + "`, which tagguard reads first: " +
		"on an immutable release nobody can replace it, while these notes stay editable, so a difference between the two is reported as tampering.\n")
	if s := provenance(c); s != "" {
		b.WriteString("\n" + s + "\n")
	}
	b.WriteString("\n| Image | Digest | Platforms |\n| --- | --- | --- |\n")
	for _, im := range c.Images {
		platforms := "—"
		if len(im.Platforms) > 0 {
			names := make([]string, len(im.Platforms))
			for i, p := range im.Platforms {
				names[i] = cell(p.Platform)
			}
			platforms = strings.Join(names, ", ")
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(im.Ref), cell(im.Digest), platforms)
	}
	if len(c.Images) == 0 {
		b.WriteString("| — | — | — |\n")
	}
	// The JSON is folded away: people read the table, tagguard the JSON.
	// The blank lines around it let GitHub render Markdown inside <details>.
	b.WriteString("\n<details>\n<summary>Ledger (" + Schema + ")</summary>\n\n")
	b.WriteString(fenceOpen + "\n")
	b.Write(c.encode())
	b.WriteString(fenceClose + "\n\n</details>\n")
	b.WriteString(EndMarker + "\n")
	return b.String()
}

// provenance describes where the images came from, in one line, or "".
func provenance(l *Ledger) string {
	var parts []string
	if !l.Created.IsZero() {
		parts = append(parts, "at "+l.Created.Format(time.RFC3339))
	}
	if s := l.Source; s.Repository != "" {
		parts = append(parts, "from "+cell(s.Repository))
	}
	if s := l.Source; s.Ref != "" {
		parts = append(parts, "ref "+cell(s.Ref))
	}
	if s := l.Source; s.SHA != "" {
		parts = append(parts, "commit "+cell(s.SHA))
	}
	if s := l.Source; s.Run != "" {
		if validRunURL(s.Run) {
			parts = append(parts, "in [this workflow run]("+s.Run+")")
		} else {
			parts = append(parts, "in run "+cell(s.Run))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "Recorded " + strings.Join(parts, ", ") + "."
}

// cell renders a value as inline code when that is safe, else as text with
// every ASCII punctuation character backslash-escaped. Validated values are
// always safe; the fallback keeps a value that was never validated from
// ending a code span, splitting a table cell (|), opening HTML (<) or
// breaking the line.
func cell(v string) string {
	safe := v != "" && !strings.ContainsFunc(v, func(r rune) bool {
		return r < 0x20 || r > 0x7e || r == '`' || r == '|' || r == '\\'
	})
	if safe {
		return "`" + v + "`"
	}
	var b strings.Builder
	for _, r := range v {
		switch {
		case r < 0x20 || r == 0x7f || r == 0x85 || r == '\u2028' || r == '\u2029':
			b.WriteRune('\uFFFD')
		case r < 0x80 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "—"
	}
	return b.String()
}

// Extract finds the ledger section in release notes and parses its ledger.
// found is false, with no error, when the notes hold no markers. Text around
// the section, and inside it outside the ```json block, may have been edited
// by a person and is ignored; lines may end in "\r\n" as GitHub's web editor
// writes them. Two sections, a marker without its partner, an end before its
// begin, a missing ```json block, or a ledger that Parse refuses are errors
// (wrapping a *ValidationError): which digest to trust is then unclear.
func Extract(body string) (l *Ledger, found bool, err error) {
	loc, found, err := locate(body)
	if err != nil || !found {
		return nil, found, err
	}
	if strings.Contains(body[loc.begin:loc.end], AssetMarker) {
		return nil, true, ErrInAsset
	}
	l, err = parseSection(body, loc)
	if err != nil {
		return nil, true, err
	}
	return l, true, nil
}

// Upsert writes l into release notes. Where the notes hold a section, its
// ledger and l are merged by tag (l wins, see Merge) and the section is
// replaced in place: every byte before the begin marker and after the end
// marker stays as it was, and the section keeps the line endings of its
// begin marker's line. Where they hold none, the section is appended after a
// blank line, with the line endings the notes already use.
//
// If l is invalid, or the notes hold a broken or duplicated section, or the
// merged ledger would be too large to read back, Upsert returns body
// unchanged with an error wrapping a *ValidationError, so a caller that
// writes the result regardless writes back what was there.
func Upsert(body string, l *Ledger) (string, error) { return UpsertFor(body, l, "") }

// UpsertFor is Upsert for the release tagged tag: its section's restore
// command names that tag.
func UpsertFor(body string, l *Ledger, tag string) (string, error) {
	out, err := upsert(body, l, tag)
	if err != nil {
		return body, fmt.Errorf("writing the ledger section: %w", err)
	}
	return out, nil
}

func upsert(body string, l *Ledger, tag string) (string, error) {
	if err := l.Validate(); err != nil {
		return "", err
	}
	loc, found, err := locate(body)
	if err != nil {
		return "", err
	}
	var out string
	var merged *Ledger
	if found {
		prev, err := parseSection(body, loc)
		if err != nil {
			return "", err
		}
		merged = Merge(prev, l)
		if err := merged.Validate(); err != nil {
			return "", err
		}
		sec := strings.TrimSuffix(sectionFor(merged, tag), "\n")
		out = body[:loc.begin] + withEOL(sec, loc.eol) + body[loc.end:]
	} else {
		merged = Merge(nil, l)
		eol := lineEnding(body)
		sec := withEOL(sectionFor(merged, tag), eol)
		switch {
		case body == "":
			out = sec
		case strings.HasSuffix(body, eol+eol) || strings.HasSuffix(body, "\n\n"):
			out = body + sec
		case strings.HasSuffix(body, "\n"):
			out = body + eol + sec
		default:
			out = body + eol + eol + sec
		}
	}
	// Verify after writing: what tagguard puts in release notes must read
	// back, or restore would find nothing to trust when it is needed.
	if back, ok, err := Extract(out); err != nil || !ok || len(back.Images) != len(merged.Images) {
		if err == nil {
			err = invalid("release notes", "", "the ledger section does not read back after writing")
		}
		return "", err
	}
	return out, nil
}

// lineEnding is the line ending body already uses, judged by its first line
// break: "\r\n" from GitHub's web editor, "\n" from the API and most tools.
func lineEnding(body string) string {
	if i := strings.IndexByte(body, '\n'); i > 0 && body[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

func withEOL(s, eol string) string {
	if eol == "\n" {
		return s
	}
	return strings.ReplaceAll(s, "\n", eol)
}

// releaseTag is the tag a section's restore command names: the release's
// own where it is known and a safe word, else a placeholder.
func releaseTag(tag string) string {
	if tag == "" || strings.ContainsFunc(tag, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/+", r))
	}) {
		return "<release tag>"
	}
	return tag
}
