// Package command holds what every command runs with besides its own
// options: one group, embedded once in each command's Options and filled
// once by the app. The registry and GitHub clients are not in it: each
// command names the few verbs it uses as its own interfaces, so a test
// fake implements only those, and a command cannot reach a verb it was
// not meant to use.
package command

import (
	"time"

	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/gate"
)

// Run is a command's run context. Its zero value is a run outside GitHub
// Actions, one request at a time, on the wall clock, with no gate.
type Run struct {
	// Event is the GitHub run: the repository, the ref, the SHA.
	Event event.Context
	// Jobs bounds the requests in flight (0 is read as 1).
	Jobs int
	// Now is the clock (nil: time.Now), so tests and golden reports can
	// hold it still.
	Now func() time.Time
	// ReadFile reads a file input (nil: files.Read, bounded and under the
	// run's context).
	ReadFile func(string) ([]byte, error)
	// Gate is the signature gate, nil when no key or identity was given.
	// What each command gates is said in its Options.
	Gate *gate.Gate
}
