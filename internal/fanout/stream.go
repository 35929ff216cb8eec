package fanout

import (
	"context"
	"sync"
)

// Stream is Each for items that arrive one by one (release pages read as
// they stream): Go starts a call as soon as a slot is free, at most limit
// at once, and waits for the slot itself, so whoever produces the items is
// paced by the calls (no goroutine parks for a slot: at 10,000 releases
// of 5 refs that was 21,000 of them). Wait waits for every call started.
// Go is called from one goroutine; the zero Stream is not ready: use
// NewStream.
type Stream struct {
	slots chan struct{}
	wg    sync.WaitGroup
}

// NewStream is a Stream of at most limit calls at once (a limit below 1
// means 1).
func NewStream(limit int) *Stream { return &Stream{slots: make(chan struct{}, max(limit, 1))} }

// Go starts fn once a slot is free; false, and fn never runs, when ctx
// ends first.
func (s *Stream) Go(ctx context.Context, fn func()) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	s.wg.Go(func() {
		defer func() { <-s.slots }()
		fn()
	})
	return true
}

// Wait waits for every call started.
func (s *Stream) Wait() { s.wg.Wait() }
