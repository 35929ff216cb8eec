package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/regtest"
)

// slowRepo is an in-process registry at latency with n tags of one image,
// and the --images list of them.
func slowRepo(t *testing.T, latency time.Duration, n int) string {
	t.Helper()
	srv := regtest.InProcess(t, regtest.WithLatency(latency))
	regtest.PushImage(t, srv.Ref("org/app:build"))
	var refs []string
	for i := range n {
		ref := srv.Ref(fmt.Sprintf("org/app:nightly-%d", i))
		refs = append(refs, ref)
	}
	return strings.Join(refs, ",")
}

// TestProgressOnATerminal: a run that reads for a while
// shows a live progress line on a terminal's stderr (run here under a pty
// with script(1)), and none with --format json or --quiet.
func TestProgressOnATerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("script(1) is needed for the pty test")
		}
		t.Skip("no script(1)")
	}
	images := slowRepo(t, 40*time.Millisecond, 30)
	pty := func(args string) string {
		t.Helper()
		cmd := exec.Command("script", "-qfec", os.Args[0]+" "+args, "/dev/null")
		cmd.Env = []string{"TAGGUARD_TEST_AS_BINARY=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TERM=xterm"}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return string(out)
	}
	out := pty("check --jobs 2 --images " + images)
	if !strings.Contains(out, "reading refs") || !strings.Contains(out, "OK: 30 refs may be published") {
		t.Errorf("no progress line on the terminal:\n%q", out)
	}
	for _, quiet := range []string{"--quiet", "--format json"} {
		if out := pty("check --jobs 8 " + quiet + " --images " + images); strings.Contains(out, "reading refs") {
			t.Errorf("%s: progress shown:\n%q", quiet, out)
		}
	}
}

// TestInterruptWhilePlanning: SIGINT during the reads
// prints one line (interrupted, nothing was written) and exits 130, not a
// FAILED row per ref.
func TestInterruptWhilePlanning(t *testing.T) {
	images := slowRepo(t, 200*time.Millisecond, 50)
	cmd := exec.Command(os.Args[0], "check", "--jobs", "1", "--images", images)
	cmd.Env = []string{"TAGGUARD_TEST_AS_BINARY=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("%v: want exit 130\n%s%s", err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if stdout.Len() != 0 || len(lines) != 1 || !strings.Contains(lines[0], "interrupted while planning: nothing was written") {
		t.Errorf("stdout %q, stderr %q: want one line on stderr", stdout.String(), stderr.String())
	}
}
