// Command tagguard is the release guard for container image tags. See
// README.md; everything but process wiring lives in internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tagguard/tagguard/internal/cli"
)

func main() { os.Exit(realMain()) }

func realMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.MainOS(ctx, os.Args[1:], os.Stdout, os.Stderr)
}
