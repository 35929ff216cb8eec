package ledger

import (
	"os"
	"strings"
	"testing"
)

// TestSharedFixtures reads the ledgers and release notes of the top-level
// testdata, which other packages' tests read too: every v1 ledger parses,
// the future major is refused, and the ledger section is found in notes
// with either line ending and not in notes without one.
func TestSharedFixtures(t *testing.T) {
	t.Parallel()
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile("../../testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, name := range []string{"ledgers/v1-image.json", "ledgers/v1-index.json", "ledgers/v1-unknown-fields.json"} {
		if _, err := Parse(read(name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Parse(read("ledgers/v2-future.json")); err == nil || !strings.Contains(err.Error(), "v2") {
		t.Errorf("v2-future.json: err %v, want the newer schema refused", err)
	}
	want, _ := Parse(read("ledgers/v1-image.json"))
	for _, name := range []string{"releases/with-ledger.md", "releases/with-ledger-crlf.md"} {
		l, found, err := Extract(string(read(name)))
		if err != nil || !found || len(l.Images) != len(want.Images) || l.Images[0].Digest != want.Images[0].Digest {
			t.Errorf("%s: found %v, err %v, ledger %+v", name, found, err, l)
		}
	}
	if _, found, err := Extract(string(read("releases/without-ledger.md"))); found || err != nil {
		t.Errorf("without-ledger.md: found %v, err %v", found, err)
	}
}
