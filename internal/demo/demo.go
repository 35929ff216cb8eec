// Package demo tells tagguard's story against an in-process registry on
// loopback, so a newcomer sees it work with no network and no Docker.
package demo

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/registry"
)

// Run prints each step of the story to w.
func Run(ctx context.Context, w io.Writer) error {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	repo := host + "/demo/app"
	client, err := registry.New(registry.Config{})
	if err != nil {
		return err
	}
	s := &story{ctx: ctx, w: w, client: client}

	s.step("An in-process OCI registry listens on %s (loopback only).", host)
	s.step("The release workflow publishes %s:0.15.0 for linux/amd64 and linux/arm64, and moves latest.", repo)
	idx, err := buildIndex(1, "linux/amd64", "linux/arm64")
	if err != nil {
		return err
	}
	d015, err := push(ctx, idx, repo+":0.15.0", repo+":latest")
	if err != nil {
		return err
	}
	s.say("   0.15.0 is the image index %s", d015)

	s.step("A workflow run from the wrong branch tries to publish 0.15.0 again. tagguard check runs first:")
	s.say("   $ tagguard check --images %s:0.15.0,%s:latest", repo, repo)
	if err := s.check(true, check.Options{Images: []string{repo + ":0.15.0", repo + ":latest"}}); err != nil {
		return err
	}

	s.step("The same build re-run (same digest) is not an overwrite:")
	s.say("   $ tagguard check --images %s:0.15.0 --digest %s", repo, d015)
	if err := s.check(false, check.Options{Images: []string{repo + ":0.15.0"}, Digest: d015}); err != nil {
		return err
	}

	s.step("A backport 0.14.9 must not drag latest back from 0.15.0:")
	s.say("   $ tagguard check --images %s:0.14.9,%s:latest", repo, repo)
	if err := s.check(true, check.Options{Images: []string{repo + ":0.14.9", repo + ":latest"}}); err != nil {
		return err
	}

	s.step("The next release, 0.16.0 with latest, from main, passes every guard:")
	s.say("   $ tagguard check --images %s:0.16.0,%s:latest --expected-base main --base main", repo, repo)
	if err := s.check(false, check.Options{Images: []string{repo + ":0.16.0", repo + ":latest"}, ExpectedBase: []string{"main"}, Base: "main", RequireBase: true}); err != nil {
		return err
	}
	s.step("Done: the registry still holds the original 0.15.0 (%s).", d015)
	return nil
}

type story struct {
	ctx    context.Context
	w      io.Writer
	client *registry.Client
	n      int
}

func (s *story) step(format string, args ...any) {
	s.n++
	fmt.Fprintf(s.w, "\n%d. %s\n", s.n, fmt.Sprintf(format, args...))
}

func (s *story) say(format string, args ...any) { fmt.Fprintf(s.w, format+"\n", args...) }

// check runs the guard as the CLI would and insists on the expected outcome:
// a demo that silently shows the wrong thing would teach the wrong thing.
func (s *story) check(wantBlocked bool, o check.Options) error {
	o.Registry, o.Jobs = s.client, 8
	rep, err := check.Run(s.ctx, o)
	if err != nil {
		return fmt.Errorf("running check: %w", err)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		s.say("   | %s", line)
	}
	code := 0
	if rep.Blocked {
		code = 1
	}
	s.say("   exit code %d", code)
	if rep.Blocked != wantBlocked {
		return fmt.Errorf("demo expected blocked=%v, got %v", wantBlocked, rep.Blocked)
	}
	return nil
}
