package ledger

import (
	"flag"
	"os"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Digests used across the tests; each is the SHA-256 of a label, so they
// look like the real thing.
const (
	digestIndex   = "sha256:8e504e8dc6592bb10e3279759db985b44bb01f26069842c61425adb9004be37b"
	digestRebuilt = "sha256:a4b2d9a578e8d2479c9316d0af6acf8f22359f243bc65c15e3736f86118478ad"
	digestAMD64   = "sha256:5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51"
	digestARM64   = "sha256:f69162950f235e3cdbbad33f1f912d1a504be90d8a37d002c735d6f3e3882265"
	digestCLI     = "sha256:99bb88401742848e032fd6f51709415fb6be169a72d2e5d7fc44289255160d3c"
	digestHub     = "sha256:08d33503ee27d4c13055d0cefec5e730be4ef2e41cd6cfce434936ec1e7c9d4b"
	digestOld     = "sha256:cba06b5736faf67e54b07b561eae94395e774c517a7d910a54369e1263ccfbd4"
	digest512     = "sha512:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" +
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

const indexType = "application/vnd.oci.image.index.v1+json"

func created(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// sample is a valid, canonical ledger of one multi-arch image.
func sample(t *testing.T) *Ledger {
	return &Ledger{
		Schema:  Schema,
		Created: created(t, "2026-11-23T10:00:00Z"),
		Source: Source{
			Repository: "org/app",
			SHA:        "4f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39",
			Ref:        "refs/tags/v0.15.0",
			Run:        "https://github.com/org/app/actions/runs/123456789",
		},
		Images: []Image{{
			Ref:       "ghcr.io/org/app:0.15.0",
			Digest:    digestIndex,
			MediaType: indexType,
			Platforms: []Platform{
				{Platform: "linux/amd64", Digest: digestAMD64},
				{Platform: "linux/arm64", Digest: digestARM64},
			},
		}},
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readLedger(t *testing.T, path string) *Ledger {
	t.Helper()
	l, err := Parse(readFile(t, path))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return l
}

// golden compares got with the file at path, or rewrites the file with
// -update.
func goldenFile(t *testing.T, path string, got []byte) {
	t.Helper()
	golden.File(t, path, got, *update)
}
