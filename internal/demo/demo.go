// Package demo tells tagguard's story against an in-process registry on
// loopback, so a newcomer sees it work with no network and no Docker.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/restore"
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
	dir, err := os.MkdirTemp("", "tagguard-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s := &story{ctx: ctx, w: w, client: client}
	v015, latest := repo+":0.15.0", repo+":latest"

	s.step("An in-process OCI registry listens on %s (loopback only; like GHCR or Docker Hub, it lets anyone with push rights move a tag).", host)
	s.step("The release workflow publishes %s for linux/amd64 and linux/arm64, and moves latest.", v015)
	idx, err := buildIndex(1, "linux/amd64", "linux/arm64")
	if err != nil {
		return err
	}
	original, err := push(ctx, idx, v015, latest)
	if err != nil {
		return err
	}
	originalRaw, err := s.raw(v015)
	if err != nil {
		return err
	}
	s.say("   0.15.0 is the image index %s (%d bytes)", original, len(originalRaw))

	ledgerPath := filepath.Join(dir, "ledger.json")
	s.step("After the push, tagguard record keeps the digests: outputs, a ledger file, the release notes.")
	s.say("   $ tagguard record --images %s,%s --digest %s --ledger-file ledger.json", v015, latest, original)
	rec, err := record.Run(ctx, record.Options{Images: []string{v015, latest}, Digest: original, LedgerFile: ledgerPath, Registry: client, Jobs: 8})
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	if err := s.print(rec, rec.Blocked, false); err != nil {
		return err
	}

	s.step("A workflow run from the wrong branch tries to publish 0.15.0 again. tagguard check runs first:")
	s.say("   $ tagguard check --images %s,%s --expected-base main --base feature/x", v015, latest)
	if err := s.check(true, check.Options{Images: []string{v015, latest}, ExpectedBase: []string{"main"}, Base: "feature/x", RequireBase: true}); err != nil {
		return err
	}

	s.step("The same build re-run (same digest) is not an overwrite:")
	s.say("   $ tagguard check --images %s --digest %s", v015, original)
	if err := s.check(false, check.Options{Images: []string{v015}, Digest: original}); err != nil {
		return err
	}

	s.step("A backport 0.14.9 must not drag latest back from 0.15.0:")
	s.say("   $ tagguard check --images %s:0.14.9,%s", repo, latest)
	if err := s.check(true, check.Options{Images: []string{repo + ":0.14.9", latest}}); err != nil {
		return err
	}

	s.step("Without the guard, the registry takes the overwrite: a different build lands on 0.15.0 and latest.")
	other, err := buildIndex(2, "linux/amd64")
	if err != nil {
		return err
	}
	overwritten, err := push(ctx, other, v015, latest)
	if err != nil {
		return err
	}
	s.say("   0.15.0 now points at %s: same tag string, other bits", overwritten)

	s.step("The rescue: restore from the ledger. First the dry run, which writes nothing:")
	s.say("   $ tagguard restore --from-ledger ledger.json --dry-run")
	if err := s.restore(restore.Options{FromLedger: ledgerPath, DryRun: true}); err != nil {
		return err
	}
	s.step("Then the restore: every digest proven present, the exact manifest bytes put back, each tag read back.")
	s.say("   $ tagguard restore --from-ledger ledger.json")
	if err := s.restore(restore.Options{FromLedger: ledgerPath}); err != nil {
		return err
	}

	s.step("Proof: 0.15.0 is byte-identical to what was first published.")
	restoredRaw, err := s.raw(v015)
	if err != nil {
		return err
	}
	d, err := client.Resolve(ctx, mustTag(client, v015))
	if err != nil {
		return err
	}
	if d.Digest.String() != original || !bytes.Equal(restoredRaw, originalRaw) {
		return fmt.Errorf("demo: 0.15.0 is at %s after the restore, want %s byte for byte", d.Digest, original)
	}
	s.say("   digest %s == %s", d.Digest, original)
	s.say("   manifest bytes: %d == %d, identical (both platforms' manifests by digest stay valid, no layer moved)", len(restoredRaw), len(originalRaw))
	s.step("Running the restore again changes nothing: every tag is already right.")
	s.say("   $ tagguard restore --from-ledger ledger.json")
	return s.restore(restore.Options{FromLedger: ledgerPath})
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

func (s *story) raw(ref string) ([]byte, error) {
	m, err := s.client.Manifest(s.ctx, mustTag(s.client, ref))
	return m.Raw, err
}

func mustTag(c *registry.Client, ref string) name.Tag {
	t, err := c.ParseTag(ref)
	if err != nil {
		panic(err) // the demo's own references
	}
	return t
}

func (s *story) restore(o restore.Options) error {
	o.Registry, o.Jobs = s.client, 8
	rep, err := restore.Run(s.ctx, o)
	if err != nil {
		return fmt.Errorf("restoring: %w", err)
	}
	return s.print(rep, false, false)
}

// print indents a report under the step, with the exit code the CLI gives.
func (s *story) print(rep interface{ WriteText(io.Writer) error }, blocked, wantBlocked bool) error {
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		s.say("   | %s", line)
	}
	code := 0
	if blocked {
		code = 1
	}
	s.say("   exit code %d", code)
	if blocked != wantBlocked {
		return fmt.Errorf("demo expected blocked=%v, got %v", wantBlocked, blocked)
	}
	return nil
}

// check runs the guard as the CLI would and insists on the expected outcome:
// a demo that silently shows the wrong thing would teach the wrong thing.
func (s *story) check(wantBlocked bool, o check.Options) error {
	o.Registry, o.Jobs = s.client, 8
	rep, err := check.Run(s.ctx, o)
	if err != nil {
		return fmt.Errorf("running check: %w", err)
	}
	return s.print(rep, rep.Blocked, wantBlocked)
}
