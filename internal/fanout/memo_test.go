package fanout

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoAsksOnce(t *testing.T) {
	t.Parallel()
	var m Memo[string, int]
	var calls atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	ran := make([]bool, 8)
	for i := range 8 {
		wg.Go(func() {
			v, r, err := m.Do(context.Background(), "k", func() (int, error) {
				calls.Add(1)
				<-release
				return 42, nil
			})
			ran[i] = r
			if v != 42 || err != nil {
				t.Errorf("caller %d: %d, %v", i, v, err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("%d calls for one key", calls.Load())
	}
	n := 0
	for _, r := range ran {
		if r {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d callers say they ran it", n)
	}
}

func TestMemoFailureRule(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, keep := range []bool{false, true} {
		m := Memo[string, int]{KeepFailures: keep}
		calls := 0
		fn := func() (int, error) { calls++; return 0, boom }
		_, _, err1 := m.Do(context.Background(), "k", fn)
		_, _, err2 := m.Do(context.Background(), "k", fn)
		want := 2
		if keep {
			want = 1
		}
		if !errors.Is(err1, boom) || !errors.Is(err2, boom) || calls != want || m.Has("k") != keep {
			t.Errorf("keep %v: errors %v, %v; %d calls, want %d; kept %v", keep, err1, err2, calls, want, m.Has("k"))
		}
	}
}

func TestMemoWaiterLeavesWithItsContext(t *testing.T) {
	t.Parallel()
	var m Memo[string, int]
	release := make(chan struct{})
	go m.Do(context.Background(), "k", func() (int, error) { <-release; return 1, nil })
	for !m.Has("k") {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := m.Do(ctx, "k", func() (int, error) { return 2, nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("a waiter whose ctx ended: %v", err)
	}
	close(release)
	if v, _, _ := m.Do(context.Background(), "k", func() (int, error) { return 3, nil }); v != 1 {
		t.Errorf("kept %d, want the first call's 1", v)
	}
}

// TestMemoKeepsNoPanicNorAnotherCallersEnd: a call that panicked leaves
// nothing behind (never a zero value taken for an answer), and a call cut
// short by its caller's context is asked again by a waiter whose own
// context goes on, even where failures are kept.
func TestMemoKeepsNoPanicNorAnotherCallersEnd(t *testing.T) {
	t.Parallel()
	m := Memo[string, int]{KeepFailures: true}
	func() {
		defer func() { _ = recover() }()
		m.Do(context.Background(), "k", func() (int, error) { panic("boom") })
	}()
	if v, ran, err := m.Do(context.Background(), "k", func() (int, error) { return 7, nil }); v != 7 || !ran || err != nil {
		t.Errorf("after a panic: %d, ran %v, %v", v, ran, err)
	}
	cut, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	go m.Do(cut, "c", func() (int, error) { close(started); <-cut.Done(); return 0, cut.Err() })
	<-started
	done := make(chan int)
	go func() {
		v, _, _ := m.Do(context.Background(), "c", func() (int, error) { return 9, nil })
		done <- v
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if v := <-done; v != 9 {
		t.Errorf("a waiter whose context goes on got %d, want its own answer 9", v)
	}
}
