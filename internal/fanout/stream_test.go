package fanout

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestStreamBoundsAndPaces: at most limit calls run at once, Go waits for
// a slot (the producer is paced, no goroutine parks), and after ctx ends
// no call starts.
func TestStreamBoundsAndPaces(t *testing.T) {
	s := NewStream(2)
	var running, most, ran atomic.Int32
	release := make(chan struct{})
	for range 2 {
		s.Go(context.Background(), func() {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			<-release
			running.Add(-1)
			ran.Add(1)
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan bool)
	go func() { started <- s.Go(ctx, func() { ran.Add(1) }) }()
	select {
	case <-started:
		t.Fatal("a third call started while two held both slots")
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	if <-started {
		t.Error("a call started after its context ended")
	}
	close(release)
	s.Wait()
	if most.Load() != 2 || ran.Load() != 2 {
		t.Errorf("at most %d at once, %d ran; want 2 and 2", most.Load(), ran.Load())
	}
	if s.Go(ctx, func() {}) {
		t.Error("Go with an ended context started a call")
	}
}
