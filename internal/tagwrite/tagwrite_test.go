package tagwrite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestApplyWritesReadsBackAndHonoursRecheck: a write is verified by a
// read-back; a Recheck that says skip leaves the tag unwritten and marks
// the race; an interrupted run starts no write.
func TestApplyWritesReadsBackAndHonoursRecheck(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	want := regtest.PushImage(t, srv.Ref("org/app:src"))
	c, err := registry.New(registry.Config{Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, _ := refs.ParseTag(srv.Ref("org/app:src"))
	m, err := c.Manifest(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := refs.ParseTag(srv.Ref("org/app:a"))
	b, _ := refs.ParseTag(srv.Ref("org/app:b"))
	srv.ResetCounts()
	out := Apply(ctx, c, Options{Jobs: 2}, []Write{
		{Tag: a, Manifest: m},
		{Tag: b, Manifest: m, Recheck: func(context.Context) (string, string, error) { return "lost a race", "sha256:other", nil }},
	})
	if out[0].State != Done || out[0].Now != want.String() || !out[0].Touched {
		t.Errorf("a: %+v", out[0])
	}
	if out[1].State != Skipped || !out[1].Raced || out[1].Touched || out[1].Reason != "lost a race" {
		t.Errorf("b: %+v", out[1])
	}
	if c := srv.Counts(); c.ManifestPut != 1 {
		t.Errorf("%d PUTs, want 1: the rechecked tag must not be written", c.ManifestPut)
	}

	done, cancel := context.WithCancel(ctx)
	cancel()
	out = Apply(done, c, Options{Jobs: 1, Grace: time.Millisecond}, []Write{{Tag: b, Manifest: m}})
	if out[0].State != Skipped || !strings.Contains(out[0].Reason, "interrupted") {
		t.Errorf("after an interrupt: %+v", out[0])
	}
}
