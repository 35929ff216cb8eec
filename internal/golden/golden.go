// Package golden compares what users read with golden files: reports,
// ledgers, release notes. A test rewrites them with -update, so a change to
// what users read shows as a diff in review. It imports nothing of
// tagguard's, so any package's tests may use it.
package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Stable makes a report comparable across runs: each replacement given
// (a server's host:port, a temporary directory) first, then every digest
// numbered in order of first appearance (sha256:<1>, sha256:<2>, …) and
// every RFC 3339 time written as <time>.
func Stable(b []byte, replace ...string) []byte {
	s := strings.NewReplacer(replace...).Replace(string(b))
	seen := map[string]string{}
	s = digestRE.ReplaceAllStringFunc(s, func(d string) string {
		if seen[d] == "" {
			seen[d] = fmt.Sprintf("sha256:<%d>", len(seen)+1)
		}
		return seen[d]
	})
	return []byte(timeRE.ReplaceAllString(s, "<time>"))
}

var (
	digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	timeRE   = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)`)
)

// File compares got with the golden file at path, or rewrites the file
// when update is set (go test ./internal/app -update, say): a change to
// what users read shows as a diff in review.
func File(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file (run the test with -update, then review the diff):\n--- got ---\n%s\n--- want ---\n%s", path, show(got), show(want))
	}
}

// show makes carriage returns visible in a failure message.
func show(b []byte) string { return strings.ReplaceAll(string(b), "\r", `\r`) }
