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

	"github.com/tagguard/tagguard/internal/app"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/refs"
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
	if err := s.run(options.Record, errkind.OK, options.Images, v015+","+latest, options.Digest, original, options.LedgerFile, ledgerPath); err != nil {
		return err
	}

	s.step("A workflow run from the wrong branch tries to publish 0.15.0 again. tagguard check runs first:")
	s.say("   $ tagguard check --images %s,%s --expected-base main --base feature/x", v015, latest)
	if err := s.run(options.Check, errkind.Blocked, options.Images, v015+","+latest, options.ExpectedBase, "main", options.Base, "feature/x"); err != nil {
		return err
	}

	s.step("The same build re-run (same digest) is not an overwrite:")
	s.say("   $ tagguard check --images %s --digest %s", v015, original)
	if err := s.run(options.Check, errkind.OK, options.Images, v015, options.Digest, original); err != nil {
		return err
	}

	s.step("A backport 0.14.9 must not drag latest back from 0.15.0:")
	s.say("   $ tagguard check --images %s:0.14.9,%s", repo, latest)
	if err := s.run(options.Check, errkind.Blocked, options.Images, repo+":0.14.9,"+latest); err != nil {
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
	if err := s.run(options.Restore, errkind.OK, options.FromLedger, ledgerPath, options.DryRun, "true"); err != nil {
		return err
	}
	s.step("Then the restore: every digest proven present, the exact manifest bytes put back, each tag read back.")
	s.say("   $ tagguard restore --from-ledger ledger.json")
	if err := s.run(options.Restore, errkind.OK, options.FromLedger, ledgerPath); err != nil {
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
	if err := s.run(options.Restore, errkind.OK, options.FromLedger, ledgerPath); err != nil {
		return err
	}
	return s.promoteAndAudit(repo, dir)
}

// promoteAndAudit is the second half: builds pushed by digest, promoted
// with the guard on the write; a tag moved by hand, found by audit,
// restored from the drift ledger; audit clean.
func (s *story) promoteAndAudit(repo, dir string) error {
	s.step("Release 1.0.0 is built per platform and pushed by digest only: no tag is written while the builds run.")
	var sources []string
	for i, p := range []string{"linux/amd64", "linux/arm64"} {
		img, err := buildImage(int64(10+i), p)
		if err != nil {
			return err
		}
		ref, err := pushByDigest(s.ctx, img, repo)
		if err != nil {
			return err
		}
		s.say("   %s pushed as %s", p, ref)
		sources = append(sources, ref)
	}
	tags := repo + ":1.0.0," + repo + ":1," + repo + ":latest"
	ledger := filepath.Join(dir, "ledger-1.0.0.json")
	s.step("tagguard promote is the one step that writes tags: it proves both digests present, merges them into one index, judges the tags with check's guards against that index, writes each tag, reads it back and records it.")
	s.say("   $ tagguard promote --sources %s --images %s --ledger-file ledger-1.0.0.json", strings.Join(sources, ","), tags)
	if err := s.run(options.Promote, errkind.OK, options.Sources, strings.Join(sources, ","), options.Images, tags, options.LedgerFile, ledger); err != nil {
		return err
	}

	s.step("Weeks later a hand push (or another pipeline) lands other bits on 1.0.0. The registry takes it.")
	other, err := buildIndex(3, "linux/amd64")
	if err != nil {
		return err
	}
	moved, err := push(s.ctx, other, repo+":1.0.0")
	if err != nil {
		return err
	}
	s.say("   1.0.0 now points at %s", moved)

	drift := filepath.Join(dir, "drift.json")
	s.step("The daily audit finds it the same day, while the recorded digest still exists, and writes the drift ledger:")
	s.say("   $ tagguard audit --from-ledger ledger-1.0.0.json --drift-file drift.json")
	if err := s.run(options.Audit, errkind.Blocked, options.FromLedger, ledger, options.DriftFile, drift); err != nil {
		return err
	}
	s.step("Restore from the drift ledger puts 1.0.0 back, byte for byte:")
	s.say("   $ tagguard restore --from-ledger drift.json")
	if err := s.run(options.Restore, errkind.OK, options.FromLedger, drift); err != nil {
		return err
	}
	s.step("The audit is clean again.")
	s.say("   $ tagguard audit --from-ledger ledger-1.0.0.json")
	if err := s.run(options.Audit, errkind.OK, options.FromLedger, ledger); err != nil {
		return err
	}

	compose := filepath.Join(dir, "compose.yml")
	if err := os.WriteFile(compose, []byte("services:\n  web:\n    image: "+repo+":1.0.0\n    ports: [\"8080:80\"]\n"), 0o644); err != nil {
		return err
	}
	pinned := filepath.Join(dir, "compose.pinned.yml")
	s.step("On the deploy side, tagguard pin turns the ledger into a compose override: the service runs the released digest, whatever the tag does next.")
	s.say("   $ tagguard pin --from-ledger ledger-1.0.0.json --compose compose.yml")
	if err := s.run(options.PinCmd, errkind.OK, options.FromLedger, ledger, options.ComposeFile, compose); err != nil {
		return err
	}
	if err := s.run(options.PinCmd, errkind.OK, options.FromLedger, ledger, options.ComposeFile, compose, options.Output, pinned); err != nil {
		return err
	}
	s.step("Before an update, the deploy script checks that what it would run is the ledger's and still there:")
	s.say("   $ tagguard pin --from-ledger ledger-1.0.0.json --verify --compose compose.yml --compose compose.pinned.yml")
	return s.run(options.PinCmd, errkind.OK, options.FromLedger, ledger, options.ComposeFile, compose+","+pinned, options.Verify, "true")
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
	t, err := refs.ParseTag(ref)
	if err != nil {
		panic(err) // the demo's own references
	}
	return t
}

// run runs a command through the same app.Run as the CLI, prints its report
// under the step with the exit code the CLI would give, and insists on the
// expected exit: a demo that silently shows the wrong thing would teach the
// wrong thing. args are option names and values, in pairs.
func (s *story) run(cmd string, want errkind.Kind, args ...string) error {
	vals := options.NewValues(options.For(cmd))
	// The story reads best without timers: no progress line.
	vals.Set(options.Quiet, "true")
	for i := 0; i+1 < len(args); i += 2 {
		vals.Set(args[i], args[i+1])
	}
	// The demo's registry is in-process: no credentials, no GitHub.
	out := app.Run(s.ctx, cmd, vals, app.Env{Getenv: func(string) string { return "" }})
	if out.Report != nil {
		var b strings.Builder
		if err := out.Report.WriteText(&b); err != nil {
			return err
		}
		for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
			s.say("   | %s", line)
		}
	}
	code := out.ExitCode()
	s.say("   exit code %d (%s)", code, errkind.Kind(code).MeaningFor(cmd))
	if code != int(want) {
		return fmt.Errorf("demo: tagguard %s exited %d, expected %d: %v", cmd, code, int(want), out.Err)
	}
	return nil
}
