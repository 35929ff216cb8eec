// Package progress shows a run's progress on stderr while it reads and
// writes: a live bar on a terminal (schollz/progressbar), a plain line at
// most every 10 s in a CI log, nothing with --quiet or --format json. The
// commands count their units of work (refs read, tags written) through the
// context, so no signature carries it and a run without a meter pays
// nothing.
package progress

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

type key struct{}

// Meter counts the units of the current phase.
type Meter struct {
	mu    sync.Mutex
	phase string
	total int
	done  int
	start time.Time
	bar   *progressbar.ProgressBar // on a terminal
	w     io.Writer                // plain lines, else
	every time.Duration
	last  time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

// New starts a meter writing to w: a live bar when tty, else a plain line
// at most every interval (10 s in CI logs).
func New(w io.Writer, tty bool, interval time.Duration) *Meter {
	m := &Meter{w: w, every: interval, start: time.Now(), stop: make(chan struct{})}
	if tty {
		m.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			// A label from the first frame on, before any phase is named.
			progressbar.OptionSetDescription("starting"),
		)
		return m
	}
	m.wg.Add(1)
	go m.tick()
	return m
}

// With carries m in ctx for the commands.
func With(ctx context.Context, m *Meter) context.Context {
	if m == nil {
		return ctx
	}
	return context.WithValue(ctx, key{}, m)
}

// Expect starts a phase of n units ("reading refs", "writing tags").
func Expect(ctx context.Context, phase string, n int) {
	m, ok := ctx.Value(key{}).(*Meter)
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.phase, m.total, m.done = phase, n, 0
	if m.bar != nil {
		m.bar.ChangeMax(n)
		m.bar.Describe(phase)
		_ = m.bar.Set(0)
	}
}

// Done counts n units of the phase as done.
func Done(ctx context.Context, n int) {
	m, ok := ctx.Value(key{}).(*Meter)
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += n
	if m.bar != nil {
		_ = m.bar.Add(n)
	}
}

// tick writes a plain line every interval while something goes on.
func (m *Meter) tick() {
	defer m.wg.Done()
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.mu.Lock()
			if m.phase != "" {
				fmt.Fprintf(m.w, "tagguard: %s: %d of %d (%s)\n", m.phase, m.done, m.total, time.Since(m.start).Round(time.Second))
			}
			m.mu.Unlock()
		}
	}
}

// Stop ends the meter and clears the live line, before the report is
// printed. Safe on a nil meter.
func (m *Meter) Stop() {
	if m == nil {
		return
	}
	if m.bar != nil {
		m.mu.Lock()
		_ = m.bar.Clear()
		m.mu.Unlock()
		return
	}
	close(m.stop)
	m.wg.Wait()
}
