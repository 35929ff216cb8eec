package ledger

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInAsset is Extract's answer for notes whose section says the ledger
// is too large for them: the release asset AssetName alone holds it.
var ErrInAsset = errors.New("the notes say the ledger is too large for them and is the release asset " + AssetName + " alone")

// pointerSection is the section of notes too small for the ledger: the
// table as far as room (in characters) allows, a line saying how many refs
// it leaves out, and AssetMarker in place of the JSON.
func pointerSection(l *Ledger, room int) string {
	c := l.canonical()
	head := BeginMarker + "\n### Image digests\n\n" +
		"The ledger of this release is too large for its notes (GitHub's limit is 125,000 characters): " +
		"it is the release asset `" + AssetName + "` alone, which `tagguard restore --from-release` reads.\n" +
		"\n| Image | Digest | Platforms |\n| --- | --- | --- |\n"
	tail := AssetMarker + "\n" + EndMarker + "\n"
	var b strings.Builder
	b.WriteString(head)
	used := utf8.RuneCountInString(head) + utf8.RuneCountInString(tail) + 80 // the "more" row
	shown := 0
	for _, im := range c.Images {
		row := fmt.Sprintf("| %s | %s | %d |\n", cell(im.Ref), cell(im.Digest), len(im.Platforms))
		n := utf8.RuneCountInString(row)
		if used+n > room {
			break
		}
		b.WriteString(row)
		used += n
		shown++
	}
	if rest := len(c.Images) - shown; rest > 0 {
		fmt.Fprintf(&b, "| … | %d more in `%s` | |\n", rest, AssetName)
	}
	b.WriteString(tail)
	return b.String()
}

// UpsertPointer writes into body, in place of its ledger section or after
// it, a section that points to the asset for l, within limit characters
// for the whole body. It is for a ledger the notes cannot hold.
func UpsertPointer(body string, l *Ledger, limit int) (string, error) {
	loc, found, err := locate(body)
	if err != nil {
		return "", err
	}
	rest := body
	if found {
		rest = body[:loc.begin] + body[loc.end:]
	}
	eol := lineEnding(body)
	room := limit - utf8.RuneCountInString(rest) - 4
	if room < 1000 {
		return "", fmt.Errorf("the notes leave %d characters for the ledger section: too few even to point to the asset", room)
	}
	sec := withEOL(pointerSection(l, room), eol)
	if found {
		return body[:loc.begin] + strings.TrimSuffix(sec, eol) + body[loc.end:], nil
	}
	switch {
	case body == "":
		return sec, nil
	case strings.HasSuffix(body, "\n"):
		return body + eol + sec, nil
	}
	return body + eol + eol + sec, nil
}
