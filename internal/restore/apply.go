package restore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// defaultWriteGrace is how long writes already in flight may take to finish
// after an interrupt: a PUT cut off half-way would leave the tag's state
// unknown.
const defaultWriteGrace = 30 * time.Second

// apply writes each planned tag and verifies it. After an interrupt (or
// --timeout) no new write starts; writes in flight get the write grace (30s) to finish,
// counted from the interrupt. Every written tag is read back, whatever the
// write answered, so the report says what is true.
func apply(ctx context.Context, o Options, r *Report, manifests map[string]registry.Manifest) {
	writeCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	grace := cmp.Or(o.WriteGrace, defaultWriteGrace)
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	defer stop()
	var planned []*Tag
	for i := range r.Tags {
		if r.Tags[i].State == Planned {
			planned = append(planned, &r.Tags[i])
		}
	}
	notStarted := fanout.Each(ctx, o.Jobs, len(planned), func(i int) {
		t := planned[i]
		putErr := o.Registry.Put(writeCtx, t.target.tag, manifests[targetKey(t.target)])
		verify(ctx, o.Registry, t, putErr, grace)
	})
	for _, i := range notStarted {
		planned[i].State, planned[i].Reason = Skipped, "not started: "+interruption(ctx)
	}
}

// verify reads a written tag back and sets its state from what the registry
// now says, not from what the write answered: a write whose answer was lost
// may have landed, and a write that "succeeded" may have been rewritten.
func verify(ctx context.Context, reg Registry, t *Tag, putErr error, grace time.Duration) {
	readCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	d, err := reg.Resolve(readCtx, t.target.tag)
	now := ""
	if err == nil {
		now = d.Digest.String()
	}
	why := ""
	if putErr != nil {
		why = report.OneLine(putErr.Error())
	}
	switch {
	case err != nil && !errors.Is(err, registry.ErrNotFound):
		t.State, t.unknown = Failed, true
		t.Reason = strings.TrimPrefix(why+"; ", "; ") + "could not read the tag back, so its state is unknown: " + report.OneLine(err.Error())
	case now == t.To:
		t.State, t.Reason = Restored, "verified"
		if putErr != nil {
			t.Reason = "verified (the registry's answer to the write was lost: " + why + ")"
		}
	case now == t.From:
		t.State, t.Reason = Failed, why
		if putErr == nil {
			t.Reason = "written, but the tag still reads as before: the registry did not take the write"
		}
	default:
		t.State, t.moved = Failed, true
		t.Reason = strings.TrimPrefix(why+"; ", "; ") + fmt.Sprintf("the tag now reads as %s: something else moved it, or the registry rewrote the manifest", orAbsent(now))
	}
	if t.State == Failed {
		t.failure = errors.New(t.Reason)
	}
}

func orAbsent(d string) string {
	if d == "" {
		return "absent"
	}
	return d
}

func interruption(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "--timeout reached; re-run to finish"
	}
	return "interrupted; re-run to finish"
}
