package audit

import (
	"context"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/registry"
)

// prefetch reads where recorded tags point now while the ledgers are still
// being read (release pages stream): one HEAD per distinct tag, at most
// jobs at a time, each started as soon as a ledger names the tag. A read
// that failed is kept: the ref is then unknown, not read twice.
type prefetch struct {
	ctx     context.Context
	reg     Registry
	sem     chan struct{}
	wg      sync.WaitGroup
	started map[string]bool // start's own: the ledger walk calls it from one goroutine
	reads   fanout.Memo[string, registry.Descriptor]
}

func newPrefetch(ctx context.Context, reg Registry, jobs int) *prefetch {
	return &prefetch{ctx: ctx, reg: reg, sem: make(chan struct{}, max(jobs, 1)), started: map[string]bool{},
		reads: fanout.Memo[string, registry.Descriptor]{KeepFailures: true}}
}

// start reads t in the background, once. It waits for a free slot before
// it starts the read, so the ledger walk that calls it is paced by the
// registry, as the floor client is (a goroutine per recorded tag waiting
// for a slot was 21,000 parked goroutines at 10,000 releases × 5 refs).
func (p *prefetch) start(t name.Tag) {
	if p.started[t.Name()] {
		return
	}
	p.started[t.Name()] = true
	select {
	case p.sem <- struct{}{}:
	case <-p.ctx.Done():
		return
	}
	p.wg.Go(func() {
		defer func() { <-p.sem }()
		_, _, _ = p.reads.Do(p.ctx, t.Name(), func() (registry.Descriptor, error) { return p.reg.Resolve(p.ctx, t) })
	})
}

// get is where t points now: the read started for it, or a read now.
func (p *prefetch) get(ctx context.Context, t name.Tag) (registry.Descriptor, error) {
	d, _, err := p.reads.Do(ctx, t.Name(), func() (registry.Descriptor, error) { return p.reg.Resolve(ctx, t) })
	return d, err
}

func (p *prefetch) wait() { p.wg.Wait() }
