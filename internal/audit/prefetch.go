package audit

import (
	"context"

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
	reading *fanout.Stream
	started map[string]bool // start's own: the ledger walk calls it from one goroutine
	reads   fanout.Memo[string, registry.Descriptor]
}

func newPrefetch(ctx context.Context, reg Registry, jobs int) *prefetch {
	return &prefetch{ctx: ctx, reg: reg, reading: fanout.NewStream(jobs), started: map[string]bool{},
		reads: fanout.Memo[string, registry.Descriptor]{KeepFailures: true}}
}

// start reads t in the background, once, as soon as one of jobs slots is
// free: the ledger walk that calls it is paced by the registry, as the
// floor client is (fanout.Stream).
func (p *prefetch) start(t name.Tag) {
	if p.started[t.Name()] {
		return
	}
	p.started[t.Name()] = true
	p.reading.Go(p.ctx, func() {
		_, _, _ = p.reads.Do(p.ctx, t.Name(), func() (registry.Descriptor, error) { return p.reg.Resolve(p.ctx, t) })
	})
}

// get is where t points now: the read started for it, or a read now.
func (p *prefetch) get(ctx context.Context, t name.Tag) (registry.Descriptor, error) {
	d, _, err := p.reads.Do(ctx, t.Name(), func() (registry.Descriptor, error) { return p.reg.Resolve(ctx, t) })
	return d, err
}

func (p *prefetch) wait() { p.reading.Wait() }
