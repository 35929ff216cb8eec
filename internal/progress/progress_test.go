package progress

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPlainLinesInALog: off a terminal (a CI log), a plain line at the
// interval says the phase and the count; nothing after Stop.
func TestPlainLinesInALog(t *testing.T) {
	t.Parallel()
	var out syncBuf
	m := New(&out, false, 20*time.Millisecond)
	ctx := With(context.Background(), m)
	Expect(ctx, "reading refs", 10)
	Done(ctx, 3)
	time.Sleep(70 * time.Millisecond)
	m.Stop()
	got := out.String()
	if !strings.Contains(got, "tagguard: reading refs: 3 of 10 (") {
		t.Errorf("no plain progress line:\n%q", got)
	}
	after := len(got)
	time.Sleep(50 * time.Millisecond)
	if len(out.String()) != after {
		t.Error("lines after Stop")
	}
}

// TestNoMeterNoCost: a context without a meter ignores the counts.
func TestNoMeterNoCost(t *testing.T) {
	t.Parallel()
	Expect(context.Background(), "x", 1)
	Done(context.Background(), 1)
	var m *Meter
	m.Stop()
}

// TestFirstFrameHasALabel: the bar's first frame, before any phase, says
// what it is.
func TestFirstFrameHasALabel(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	m := New(&b, true, time.Hour)
	_ = m.bar.RenderBlank()
	m.Stop()
	if !strings.Contains(b.String(), "starting") {
		t.Errorf("first frame %q has no label", b.String())
	}
}
