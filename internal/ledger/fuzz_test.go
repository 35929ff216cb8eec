package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Seeds larger than this are left out: the fuzzer mutates small inputs
// better, and the size limits have their own tests.
const maxSeed = 4 << 10

func seedFiles(f *testing.F, pattern string) {
	f.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seeds match %s: %v", pattern, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) <= maxSeed {
			f.Add(b)
		}
	}
}

// FuzzParse checks that Parse never panics, that every error it returns is
// a one-line *ValidationError, and that whatever it accepts marshals and
// parses back to the same ledger.
func FuzzParse(f *testing.F) {
	seedFiles(f, "testdata/ledgers/*.json")
	seedFiles(f, "testdata/marshal.golden.json")
	for _, tc := range parseCases() {
		if len(tc.in) <= maxSeed {
			f.Add([]byte(tc.in))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Parse(b)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		if err := l.Validate(); err != nil {
			t.Fatalf("Parse accepted a ledger Validate refuses: %v", err)
		}
		out, err := l.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed ledger: %v", err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(l)): %v\n%s", err, out)
		}
		if diff := cmp.Diff(l.canonical(), back); diff != "" {
			t.Fatalf("Parse(Marshal(l)) (-want +got):\n%s", diff)
		}
	})
}

// FuzzExtract checks that Extract never panics, that any ledger it finds is
// valid, and that Upsert of that ledger keeps every byte outside the section
// and reads back as the same ledger; where there is no section, Upsert only
// appends.
func FuzzExtract(f *testing.F) {
	seedFiles(f, "testdata/upsert/*/body.md")
	seedFiles(f, "testdata/upsert/*/want.md")
	seedFiles(f, "testdata/section.golden.md")
	for _, s := range []string{
		"",
		"notes\r\n",
		BeginMarker,
		EndMarker + "\n" + BeginMarker,
		BeginMarker + "\n```json\n{\"schema\":\"tagguard.ledger/v1\"}\n```\n" + EndMarker,
		" " + BeginMarker + " \r\n```json\r\n{\"schema\":\"tagguard.ledger/v1\",\"images\":[{\"ref\":\"a:1\",\"digest\":\"" + digestIndex + "\"}]}\r\n```\r\n\t" + EndMarker + "\r\ntail",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		body := string(b)
		l, found, err := Extract(body)
		if err != nil {
			checkFuzzError(t, err)
			if !found {
				t.Fatalf("Extract failed without finding a section: %v", err)
			}
			out, uerr := Upsert(body, sample(t))
			if uerr == nil || out != body {
				t.Fatalf("Upsert into a body Extract refuses: err %v, changed %v", uerr, out != body)
			}
			return
		}
		if !found {
			if l != nil {
				t.Fatal("Extract returned a ledger but found = false")
			}
			out, err := Upsert(body, sample(t))
			if err != nil {
				t.Fatalf("Upsert into a body without a section: %v", err)
			}
			if !strings.HasPrefix(out, body) {
				t.Fatalf("appending changed the body:\n%q\n%q", body, out)
			}
			return
		}
		if err := l.Validate(); err != nil {
			t.Fatalf("Extract returned an invalid ledger: %v", err)
		}
		loc, _, _ := locate(body)
		out, err := Upsert(body, l)
		if err != nil {
			t.Fatalf("Upsert of the extracted ledger: %v", err)
		}
		head, tail := body[:loc.begin], body[loc.end:]
		if !strings.HasPrefix(out, head) || !strings.HasSuffix(out, tail) || len(out) < len(head)+len(tail) {
			t.Fatalf("text outside the section changed:\nbody %q\nout  %q", body, out)
		}
		back, found, err := Extract(out)
		if err != nil || !found {
			t.Fatalf("Extract(Upsert) = found %v, %v", found, err)
		}
		if diff := cmp.Diff(l.canonical(), back); diff != "" {
			t.Fatalf("Extract(Upsert) (-want +got):\n%s", diff)
		}
	})
}

func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error is not a *ValidationError: %v", err)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\r\n\u0085\u2028\u2029") {
		t.Fatalf("error message spans lines: %q", msg)
	}
}
