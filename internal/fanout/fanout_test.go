package fanout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestEachRunsEveryIndexOnceKeepingOrder(t *testing.T) {
	t.Parallel()
	out := make([]int, 100)
	var calls atomic.Int32
	if left := Each(context.Background(), 7, len(out), func(i int) {
		calls.Add(1)
		out[i] = i * i
	}); left != nil {
		t.Fatalf("not started: %v", left)
	}
	for i, v := range out {
		if v != i*i {
			t.Fatalf("out[%d] = %d", i, v)
		}
	}
	if calls.Load() != 100 {
		t.Errorf("%d calls, want 100", calls.Load())
	}
}

func TestEachHoldsTheBound(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{-1, 0, 1, 3, 8} {
		var running, peak atomic.Int32
		Each(context.Background(), limit, 40, func(int) {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
		})
		want := int32(max(limit, 1))
		if peak.Load() != want {
			t.Errorf("limit %d: peak %d in flight, want %d", limit, peak.Load(), want)
		}
	}
}

func TestEachStartsNothingAfterCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var ran []int
	left := Each(ctx, 2, 10, func(i int) {
		mu.Lock()
		ran = append(ran, i)
		mu.Unlock()
		if i == 3 {
			cancel()
		}
		time.Sleep(5 * time.Millisecond)
	})
	slices.Sort(ran)
	if len(ran)+len(left) != 10 {
		t.Fatalf("ran %v, not started %v: some index lost", ran, left)
	}
	if len(left) == 0 || !slices.IsSorted(left) {
		t.Fatalf("not started %v: want the tail, in order", left)
	}
	for _, i := range ran {
		if i > 5 {
			t.Errorf("index %d started after the cancellation at 3 (limit 2)", i)
		}
	}
	if got := Each(ctx, 4, 3, func(int) { t.Error("called on a done context") }); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("done context: not started %v", got)
	}
}

// TestInterleave: the first item of every group comes before any second.
// TestUntilErrorStopsAtTheFirstFailure: after one call fails, no call
// starts and the running ones see their ctx cancelled; the error comes
// back, and a parent ctx that ended is reported when nothing failed.
func TestUntilErrorStopsAtTheFirstFailure(t *testing.T) {
	t.Parallel()
	var started atomic.Int32
	boom := errors.New("boom")
	err := UntilError(context.Background(), 1, 10, func(ctx context.Context, i int) error {
		started.Add(1)
		if i == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || started.Load() != 3 {
		t.Errorf("err %v after %d calls; want boom after 3", err, started.Load())
	}
	sawCancel := make(chan bool, 1)
	_ = UntilError(context.Background(), 2, 2, func(ctx context.Context, i int) error {
		if i == 0 {
			return boom
		}
		<-ctx.Done()
		sawCancel <- true
		return nil
	})
	if !<-sawCancel {
		t.Error("a running call was not cancelled")
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := UntilError(ended, 2, 3, func(context.Context, int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("a parent that ended: %v", err)
	}
}

func TestInterleave(t *testing.T) {
	t.Parallel()
	groups := []string{"a", "a", "a", "b", "c", "c"}
	got := Interleave(len(groups), func(i int) string { return groups[i] })
	want := []int{0, 3, 4, 1, 5, 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Interleave = %v, want %v", got, want)
	}
}
