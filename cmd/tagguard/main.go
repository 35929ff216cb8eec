// Command tagguard is the release guard for container image tags. See
// README.md; everything but process wiring lives in internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/tagguard/tagguard/internal/cli"
)

// memoryLimit is the soft limit on the memory Go manages, unless
// GOMEMLIMIT sets another: tagguard waits on the network, so a GC that
// works a little harder costs nothing a run can see, and a runner (or a
// 10,000-release audit beside other steps) keeps its memory. Past it the
// process grows as it must: it is a target, never an out-of-memory error.
const memoryLimit = 44 << 20

func main() { os.Exit(realMain()) }

func realMain() int {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.MainOS(ctx, os.Args[1:], os.Stdout, os.Stderr)
}
