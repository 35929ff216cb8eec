// Package tagwrite points tags at manifests with registry API calls alone
// and reads every tag back: the apply step restore and promote share. Each
// write puts the exact bytes it was given; the outcome of each tag is what
// the registry says afterwards, not what the write answered.
package tagwrite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tagguard/tagguard/internal/progress"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/report"
)

// DefaultGrace is how long writes already in flight may take to finish
// after an interrupt: a PUT cut off half-way would leave the tag's state
// unknown.
const DefaultGrace = 30 * time.Second

// Registry is what a write needs.
type Registry interface {
	Resolve(ctx context.Context, ref name.Reference) (registry.Descriptor, error)
	Put(ctx context.Context, tag name.Tag, m registry.Manifest) error
}

// Write is one tag to point at one manifest.
type Write struct {
	Tag      name.Tag
	Manifest registry.Manifest // the exact bytes and media type to put
	From     string            // the digest the plan read; "" when absent
	// Recheck, when set, runs right before the PUT (an immutable tag is
	// HEADed again): a non-empty skip leaves the tag unwritten, for that
	// reason, and now is what the tag reads as.
	Recheck func(ctx context.Context) (skip, now string, err error)
}

// State is a tag's outcome.
type State string

// The outcomes.
const (
	Done    State = "done"    // written (or already there) and verified
	Failed  State = "failed"  // the write or its verification failed
	Skipped State = "skipped" // not written: interrupted, or Recheck said so
)

// Outcome is what happened to one Write.
type Outcome struct {
	State  State
	Now    string // the digest the tag reads as afterwards, "" when absent or unknown
	Reason string
	// Raced is set when Recheck skipped the write: the tag moved since the
	// plan.
	Raced bool
	// Touched is set when the tag may no longer be where the plan read it:
	// written, moved by something else, or unknown after a write.
	Touched bool
	// Replaced is set when the registry took the write and the tag then
	// read back as another digest: something wrote it after us.
	Replaced bool
	Err      error // set for Failed
}

// Options tune Apply.
type Options struct {
	Jobs  int
	Grace time.Duration // default DefaultGrace
}

// Apply writes every Write and reads each tag back. After an interrupt (or
// --timeout) no new write starts; writes in flight get the grace to finish,
// counted from the interrupt.
func Apply(ctx context.Context, reg Registry, o Options, ws []Write) []Outcome {
	out := make([]Outcome, len(ws))
	writeCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	grace := cmp.Or(o.Grace, DefaultGrace)
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	defer stop()
	progress.Expect(ctx, "writing tags", len(ws))
	notStarted := fanout.Each(ctx, o.Jobs, len(ws), func(i int) {
		defer progress.Done(ctx, 1)
		w := ws[i]
		if w.Recheck != nil {
			skip, now, err := w.Recheck(writeCtx)
			switch {
			case err != nil:
				out[i] = Outcome{State: Failed, Reason: "could not read the tag again before writing: " + report.OneLine(err.Error()), Err: err}
				return
			case skip != "":
				out[i] = Outcome{State: Skipped, Now: now, Reason: skip, Raced: true}
				return
			}
		}
		putErr := reg.Put(writeCtx, w.Tag, w.Manifest)
		out[i] = verify(ctx, reg, w, putErr, grace)
	})
	for _, i := range notStarted {
		out[i] = Outcome{State: Skipped, Now: ws[i].From, Reason: "not started: " + Interruption(ctx)}
	}
	return out
}

// verify reads a written tag back and says what is true now: a write whose
// answer was lost may have landed, and a write that "succeeded" may have
// been rewritten.
func verify(ctx context.Context, reg Registry, w Write, putErr error, grace time.Duration) Outcome {
	readCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	d, err := reg.Resolve(readCtx, w.Tag)
	now := ""
	if err == nil {
		now = d.Digest.String()
	}
	why := ""
	if putErr != nil {
		why = report.OneLine(putErr.Error())
	}
	want := w.Manifest.Digest.String()
	var o Outcome
	switch {
	case err != nil && !errors.Is(err, registry.ErrNotFound):
		o = Outcome{State: Failed, Touched: true}
		o.Reason = strings.TrimPrefix(why+"; ", "; ") + "could not read the tag back, so its state is unknown: " + report.OneLine(err.Error())
	case now == want:
		o = Outcome{State: Done, Now: now, Touched: true, Reason: "verified"}
		if putErr != nil {
			o.Reason = "verified (the registry's answer to the write was lost: " + why + ")"
		}
	case now == w.From:
		o = Outcome{State: Failed, Now: now, Reason: why}
		if putErr == nil {
			o.Reason = "written, but the tag still reads as before: the registry did not take the write"
		}
	case putErr == nil:
		// Registries have no conditional PUT: a second writer that passed
		// its own check within the same round trip overwrote ours.
		o = Outcome{State: Failed, Now: now, Touched: true, Replaced: true}
		o.Reason = fmt.Sprintf("our write landed (the registry took %s) and the tag was then replaced: %s → %s; who replaced it cannot be told (another run writing this tag at the same moment, a push by hand, or a registry that rewrote the manifest): find out which is right before re-running", want, want, OrAbsent(now))
	default:
		o = Outcome{State: Failed, Now: now, Touched: true}
		o.Reason = why + fmt.Sprintf("; the tag now reads as %s: something else moved it, or the registry rewrote the manifest", OrAbsent(now))
	}
	if o.State == Failed {
		o.Err = errors.New(o.Reason)
	}
	return o
}

// OrAbsent names an empty digest as absent.
func OrAbsent(d string) string {
	if d == "" {
		return "absent"
	}
	return d
}

// Interruption says why no further write started.
func Interruption(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "--timeout reached; re-run to finish"
	}
	return "interrupted; re-run to finish"
}
