package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDemo runs the whole story; Run itself fails when a step does not turn
// out as the story says.
func TestDemo(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := Run(context.Background(), &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{"BLOCKED by immutable-tags", "DRY RUN: 2 planned", "OK: 2 restored", "identical", "OK: 2 unchanged",
		"OK: an index of 2 sources published", "DRIFT: 3 recorded refs from 1 ledger: 2 ok, 1 drifted", "OK: 1 restored", "OK: 3 recorded refs from 1 ledger, every tag where its newest record says",
		"image: ", "@sha256:", "OK: 1 service pinned at the ledger's digest, each still in its registry"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}
