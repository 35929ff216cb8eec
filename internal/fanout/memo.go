package fanout

import (
	"context"
	"errors"
	"sync"
)

// Memo starts a keyed call once and lets every caller wait for it: the
// one way tagguard asks a question once per run (a registry's ping, a
// manifest copied into a repository, an index's platforms, a
// repository's tag list, a release's ledger). The zero value is ready.
//
// The failure rule: a call that fails is forgotten once it has finished,
// so the callers that waited for it get its error and the next caller
// asks again; with KeepFailures the error is kept for the run, as an
// answer is. A call that panicked, or ended with its caller's context, is
// never kept: a waiter whose own context goes on asks again. A caller
// whose ctx ends while it waits gets ctx's error and leaves the call
// running for the others.
type Memo[K comparable, V any] struct {
	// KeepFailures keeps a failed call's error for the run.
	KeepFailures bool

	mu    sync.Mutex
	calls map[K]*memoCall[V]
}

type memoCall[V any] struct {
	done chan struct{}
	v    V
	err  error
}

// Do returns the outcome of fn for key: the first caller runs fn (ran is
// true for it alone); callers while it runs wait for it; later callers get
// the outcome kept.
func (m *Memo[K, V]) Do(ctx context.Context, key K, fn func() (V, error)) (v V, ran bool, err error) {
	for {
		m.mu.Lock()
		call, ok := m.calls[key]
		if !ok {
			if m.calls == nil {
				m.calls = map[K]*memoCall[V]{}
			}
			call = &memoCall[V]{done: make(chan struct{})}
			m.calls[key] = call
		}
		m.mu.Unlock()
		if !ok {
			return m.run(key, call, fn)
		}
		select {
		case <-call.done:
		case <-ctx.Done():
			var zero V
			return zero, false, ctx.Err()
		}
		if call.err != nil && isContext(call.err) && ctx.Err() == nil {
			continue // the caller that ran it was cut short, this one was not: ask again
		}
		return call.v, false, call.err
	}
}

// errPanicked is what waiters get of a call that panicked.
var errPanicked = errors.New("the call it waited for panicked")

func (m *Memo[K, V]) run(key K, call *memoCall[V], fn func() (V, error)) (V, bool, error) {
	finished := false
	defer func() {
		// A panic, or a failure the rule forgets, or a context's end
		// (another caller's context is another matter), leaves nothing
		// behind for the next caller.
		if !finished {
			call.err = errPanicked
		}
		if call.err != nil && (!finished || !m.KeepFailures || isContext(call.err)) {
			m.mu.Lock()
			delete(m.calls, key)
			m.mu.Unlock()
		}
		close(call.done)
	}()
	call.v, call.err = fn()
	finished = true
	return call.v, true, call.err
}

func isContext(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Has reports whether a call for key was started and is kept (running, or
// finished and kept by the failure rule).
func (m *Memo[K, V]) Has(key K) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.calls[key]
	return ok
}
