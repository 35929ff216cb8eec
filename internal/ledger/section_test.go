package ledger

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSectionGolden(t *testing.T) {
	t.Parallel()
	l := readLedger(t, "testdata/ledgers/multiarch.json")
	goldenFile(t, "testdata/section.golden.md", []byte(Section(l)))
}

// TestUpsertGolden runs each case in testdata/upsert: body.md is the release
// body, the file "ledger" names a ledger in testdata/ledgers to record.
// want.md is the expected body; want.err the expected error, in which case
// the body must come back unchanged.
func TestUpsertGolden(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("testdata/upsert/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			body := string(readFile(t, filepath.Join(dir, "body.md")))
			name := strings.TrimSpace(string(readFile(t, filepath.Join(dir, "ledger"))))
			l := readLedger(t, filepath.Join("testdata/ledgers", name))

			out, err := Upsert(body, l)
			if err != nil {
				if out != body {
					t.Errorf("Upsert changed the body although it failed")
				}
				checkInputError(t, err, "", "")
				goldenFile(t, filepath.Join(dir, "want.err"), []byte(err.Error()+"\n"))
				if _, statErr := os.Stat(filepath.Join(dir, "want.md")); statErr == nil {
					t.Errorf("Upsert failed (%v) but want.md exists", err)
				}
				return
			}
			goldenFile(t, filepath.Join(dir, "want.md"), []byte(out))
			checkUpsert(t, body, l, out)

			// Re-running record with the same ledger changes nothing.
			again, err := Upsert(out, l)
			if err != nil {
				t.Fatalf("second Upsert: %v", err)
			}
			if again != out {
				t.Errorf("second Upsert changed the body:\n%s", strings.ReplaceAll(again, "\r", `\r`))
			}
		})
	}
}

// checkUpsert asserts what must hold for any successful Upsert: the text
// outside the section is untouched, and the section reads back as the old
// ledger merged with the new one.
func checkUpsert(t *testing.T, body string, l *Ledger, out string) {
	t.Helper()
	prev, found, err := Extract(body)
	if err != nil {
		t.Fatalf("Upsert succeeded on a body Extract refuses: %v", err)
	}
	if found {
		loc, _, _ := locate(body)
		head, tail := body[:loc.begin], body[loc.end:]
		if !strings.HasPrefix(out, head) || !strings.HasSuffix(out, tail) || len(out) < len(head)+len(tail) {
			t.Errorf("text outside the section changed:\nbody %q\nout  %q", body, out)
		}
	} else if !strings.HasPrefix(out, body) {
		t.Errorf("appending changed the body:\nbody %q\nout  %q", body, out)
	}
	back, found, err := Extract(out)
	if err != nil || !found {
		t.Fatalf("Extract(Upsert) = found %v, %v", found, err)
	}
	if diff := cmp.Diff(Merge(prev, l), back); diff != "" {
		t.Errorf("Extract(Upsert) (-want +got):\n%s", diff)
	}
}

func TestUpsertLineEndings(t *testing.T) {
	t.Parallel()
	l := sample(t)
	for _, body := range []string{"", "text", "text\n", "text\n\n", "text\r\n", "a\r\nb", "a\r\n\r\n", "\n", "a\nb\r\n"} {
		out, err := Upsert(body, l)
		if err != nil {
			t.Fatalf("Upsert(%q): %v", body, err)
		}
		checkUpsert(t, body, l, out)
		added := out[len(body):]
		if crlf := lineEnding(body) == "\r\n"; crlf != strings.Contains(added, "\r\n") ||
			!crlf && strings.Contains(added, "\r") {
			t.Errorf("Upsert(%q) added text with other line endings: %q", body, added)
		}
		if body != "" && !strings.Contains(out, "\n\n"+BeginMarker) && !strings.Contains(out, "\r\n\r\n"+BeginMarker) {
			t.Errorf("Upsert(%q): no blank line before the section: %q", body, out)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ledgers := []*Ledger{
		sample(t),
		readLedger(t, "testdata/ledgers/multiarch.json").canonical(),
		readLedger(t, "testdata/ledgers/two-refs.json").canonical(),
		{Schema: Schema},
		{Schema: Schema, Images: []Image{{Ref: "localhost:5000/app:1", Digest: digestOld}}},
	}
	for i, l := range ledgers {
		for _, body := range []string{"", "Notes.", "Notes.\r\n\r\nMore.\r\n"} {
			out, err := Upsert(body, l)
			if err != nil {
				t.Fatalf("ledger %d: Upsert: %v", i, err)
			}
			got, found, err := Extract(out)
			if err != nil || !found {
				t.Fatalf("ledger %d: Extract = found %v, %v", i, found, err)
			}
			if diff := cmp.Diff(l, got); diff != "" {
				t.Errorf("ledger %d, body %q: Extract(Upsert) (-want +got):\n%s", i, body, diff)
			}
		}
	}
}

func TestExtract(t *testing.T) {
	t.Parallel()
	sec := Section(sample(t))
	tests := []struct {
		name      string
		body      string
		wantFound bool
		wantErr   string
	}{
		{name: "empty", body: ""},
		{name: "no section", body: "Just notes.\n"},
		{name: "markers mentioned inline", body: "Put `" + BeginMarker + "` and " + EndMarker + " in a sentence.\n"},
		{name: "section", body: sec, wantFound: true},
		{name: "section CRLF", body: strings.ReplaceAll(sec, "\n", "\r\n"), wantFound: true},
		{name: "section without trailing newline", body: "x\n" + strings.TrimSuffix(sec, "\n"), wantFound: true},
		{name: "indented markers", body: "  " + strings.ReplaceAll(sec, "\n<!--", "\n\t<!--"), wantFound: true},
		{name: "table edited away", body: BeginMarker + "\n```json\n" + string(sample(t).canonical().encode()) + "```\n" + EndMarker, wantFound: true},
		{name: "two sections", body: sec + sec, wantFound: true, wantErr: "2 ledger begin markers (lines 1, 49) and 2 end markers (lines 48, 96)"},
		{name: "begin only", body: "a\n" + BeginMarker + "\n", wantFound: true, wantErr: "the begin marker on line 2 has no end marker"},
		{name: "end only", body: EndMarker, wantFound: true, wantErr: "the end marker on line 1 has no begin marker"},
		{name: "end before begin", body: EndMarker + "\n" + BeginMarker + "\n", wantFound: true, wantErr: "the end marker on line 1 comes before the begin marker on line 2"},
		{name: "empty section", body: BeginMarker + "\n" + EndMarker + "\n", wantFound: true, wantErr: "holds no ```json block"},
		{name: "unclosed block", body: BeginMarker + "\n```json\n{}\n" + EndMarker + "\n", wantFound: true, wantErr: "the ```json block on line 2 is not closed"},
		{name: "two blocks", body: BeginMarker + "\n```json\n{}\n```\n```json\n{}\n```\n" + EndMarker + "\n", wantFound: true, wantErr: "two ```json blocks (lines 2 and 5)"},
		{name: "invalid JSON", body: BeginMarker + "\n```json\n{\"schema\": \"tagguard.ledger/v1\",\n```\n" + EndMarker + "\n", wantFound: true,
			wantErr: "reading the ledger section on line 1: parsing ledger: "},
		{name: "newer schema", body: strings.Replace(sec, Schema+`"`, `tagguard.ledger/v3"`, 1), wantFound: true, wantErr: "upgrade tagguard"},
		{name: "hostile value", body: BeginMarker + "\n```json\n{\"schema\": \"tagguard.ledger/v1\", \"images\": [{\"ref\": \"a\\n::error::b\"}]}\n```\n" + EndMarker,
			wantFound: true, wantErr: `images[0].ref: "a\n::error::b"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, found, err := Extract(tc.body)
			if found != tc.wantFound {
				t.Errorf("found = %v, want %v", found, tc.wantFound)
			}
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Extract succeeded, want an error containing %q", tc.wantErr)
				}
				checkInputError(t, err, tc.wantErr, "")
				if l != nil {
					t.Errorf("Extract returned a ledger with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if found {
				if diff := cmp.Diff(sample(t), l); diff != "" {
					t.Errorf("Extract (-want +got):\n%s", diff)
				}
			} else if l != nil {
				t.Errorf("Extract returned a ledger but found = false")
			}
		})
	}
}

func TestUpsertRefusesInvalidLedger(t *testing.T) {
	t.Parallel()
	l := sample(t)
	l.Images[0].Ref = "ghcr.io/org/app"
	body := "Notes.\n"
	out, err := Upsert(body, l)
	if err == nil {
		t.Fatalf("Upsert succeeded:\n%s", out)
	}
	checkInputError(t, err, `writing the ledger section: images[0].ref: "ghcr.io/org/app" has no tag`, "images[0].ref")
	if out != body {
		t.Errorf("Upsert changed the body although it failed")
	}
}

func TestUpsertRefusesTooMany(t *testing.T) {
	t.Parallel()
	build := func(from, n int) *Ledger {
		l := &Ledger{Schema: Schema}
		for i := range n {
			l.Images = append(l.Images, Image{Ref: fmt.Sprintf("ghcr.io/org/app:%d", from+i), Digest: digestIndex})
		}
		return l
	}
	body, err := Upsert("", build(0, MaxImages/2+1))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Upsert(body, build(MaxImages, MaxImages/2+1))
	if err == nil {
		t.Fatal("Upsert merged past MaxImages")
	}
	checkInputError(t, err, "more than the 10000 a ledger may hold", "images")
	if out != body {
		t.Errorf("Upsert changed the body although it failed")
	}
}

// TestSectionEscapes feeds Section a ledger nobody validated: whatever it
// holds, the section must keep exactly one marker of each kind on a line of
// its own, one table row per image, and read back as a section (whose
// ledger Extract then refuses).
func TestSectionEscapes(t *testing.T) {
	t.Parallel()
	hostile := "a|b`c\\d<e>\n" + EndMarker + "\r\n```\n::error::x\u2028y"
	l := &Ledger{
		Schema: Schema,
		Source: Source{Repository: hostile, SHA: hostile, Ref: hostile, Run: "https://x.example/(" + hostile},
		Images: []Image{{Ref: hostile, Digest: hostile, MediaType: hostile,
			Platforms: []Platform{{Platform: hostile, Digest: hostile}}}},
	}
	sec := Section(l)
	var begins, ends, rows int
	for _, line := range strings.Split(sec, "\n") {
		switch strings.TrimSpace(line) {
		case BeginMarker:
			begins++
		case EndMarker:
			ends++
		}
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| Image") && !strings.HasPrefix(line, "| ---") {
			rows++
			if n := strings.Count(line, "|") - strings.Count(line, `\|`); n != 4 {
				t.Errorf("table row has %d unescaped pipes: %q", n, line)
			}
			if strings.Contains(line, "`a|") || strings.Contains(line, "<e>") {
				t.Errorf("table row holds an unescaped value: %q", line)
			}
		}
	}
	if begins != 1 || ends != 1 || rows != 1 {
		t.Errorf("section has %d begin, %d end markers and %d rows, want 1 each:\n%s", begins, ends, rows, sec)
	}
	if strings.ContainsAny(sec, "\r\u2028") {
		t.Errorf("section holds a raw line break:\n%q", sec)
	}
	_, found, err := Extract(sec)
	if !found || err == nil {
		t.Fatalf("Extract = found %v, %v; want found with a validation error", found, err)
	}
	checkInputError(t, err, "parsing ledger: source.repository", "source.repository")
}

func TestCell(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"ghcr.io/org/app:1": "`ghcr.io/org/app:1`",
		"":                  "—",
		"a|b":               `a\|b`,
		"a`b":               "a\\`b",
		"<b>":               "`<b>`", // code spans are literal
		"<b>\n":             `\<b\>` + "\uFFFD",
		"a\nb":              "a\uFFFDb",
		"é|":                `é\|`,
	}
	for in, want := range tests {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSectionNamesItsRelease: the restore command in the notes names the
// release's own tag where it is known (a safe word), not a placeholder.
func TestSectionNamesItsRelease(t *testing.T) {
	t.Parallel()
	l := &Ledger{Schema: Schema, Images: []Image{{Ref: "ghcr.io/org/app:1.2.3", Digest: "sha256:" + strings.Repeat("a", 64)}}}
	for tag, want := range map[string]string{"v1.2.3": "--from-release v1.2.3`", "": "--from-release <release tag>`", "v1`; rm -rf": "--from-release <release tag>`"} {
		out, err := UpsertFor("", l, tag)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("tag %q: %v; want %q in\n%s", tag, err, want, out)
		}
	}
}
