package fanout

import (
	"context"
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
// answer is. A caller whose ctx ends while it waits gets ctx's error and
// leaves the call running for the others.
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
	if ok {
		select {
		case <-call.done:
			return call.v, false, call.err
		case <-ctx.Done():
			var zero V
			return zero, false, ctx.Err()
		}
	}
	defer close(call.done) // after the outcome is set, even if fn panics
	call.v, call.err = fn()
	if call.err != nil && !m.KeepFailures {
		m.mu.Lock()
		delete(m.calls, key)
		m.mu.Unlock()
	}
	return call.v, true, call.err
}

// Has reports whether a call for key was started and is kept (running, or
// finished and kept by the failure rule).
func (m *Memo[K, V]) Has(key K) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.calls[key]
	return ok
}
