package record

import (
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/ledger"
)

// TestARecordSaysWhatItDrops: recording a digest again when its signature
// (or a platform's attestation) is gone since the ledger in the notes
// recorded it names the loss in the report's changes; a ref whose earlier
// record did not read what is attached (nil) says nothing.
func TestARecordSaysWhatItDrops(t *testing.T) {
	const d, p = "sha256:" + "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "sha256:" + "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
	signed := &ledger.Attached{Signatures: []string{"legacy tag"}}
	attested := &ledger.Attached{Attestations: []string{"referrers API"}}
	prev := &ledger.Ledger{Images: []ledger.Image{
		{Ref: "reg.example/org/app:1.0.0", Digest: d, Attached: signed, Platforms: []ledger.Platform{{Platform: "linux/amd64", Digest: p, Attached: attested}}},
		{Ref: "reg.example/org/app:latest", Digest: d},
	}}
	now := &ledger.Ledger{Images: []ledger.Image{
		{Ref: "reg.example/org/app:1.0.0", Digest: d, Attached: &ledger.Attached{}, Platforms: []ledger.Platform{{Platform: "linux/amd64", Digest: p, Attached: &ledger.Attached{}}}},
		{Ref: "reg.example/org/app:latest", Digest: d, Attached: &ledger.Attached{}},
	}}
	changes, missing := compare(prev, now)
	if missing != 2 || len(changes) != 2 {
		t.Fatalf("missing %d, changes %q: want 2 and two lines", missing, changes)
	}
	if !strings.Contains(changes[0], "reg.example/org/app:1.0.0 was recorded with signed (legacy tag)") || !strings.Contains(changes[0], "its signatures are gone now") {
		t.Errorf("image line: %q", changes[0])
	}
	if !strings.Contains(changes[1], "reg.example/org/app:1.0.0 (linux/amd64) was recorded with attested (referrers API)") || !strings.Contains(changes[1], "its attestations are gone now") {
		t.Errorf("platform line: %q", changes[1])
	}
}
