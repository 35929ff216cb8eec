package regtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Tools are the clients the comparison benchmarks run beside tagguard, at
// the versions .ci/bench installs (go install MODULE@VERSION).
var Tools = map[string]string{
	"crane":  "github.com/google/go-containerregistry/cmd/crane@v0.22.1",
	"regctl": "github.com/regclient/regclient/cmd/regctl@v0.11.7",
}

// Tool is one external client for a benchmark: its binary and a home of
// its own, so no login or setting of the machine's user leaks in.
type Tool struct {
	Path string
	Home string
	Env  []string // added to the environment of every run
}

// FindTool returns the named client on PATH, or skips: the comparison
// needs the real binary, and .ci/bench installs it.
func FindTool(tb testing.TB, name string) Tool {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		tb.Skipf("%s is not on PATH; .ci/bench installs it (go install %s)", name, Tools[name])
	}
	return Tool{Path: p, Home: tb.TempDir()}
}

// Run runs the client as a release engineer's script would: a new process
// per command, HOME and DOCKER_CONFIG its own. It returns stderr when the
// command fails.
func (t Tool) Run(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, t.Path, args...)
	cmd.Env = append(append(os.Environ(), "HOME="+t.Home, "DOCKER_CONFIG="+filepath.Join(t.Home, ".docker")), t.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %v: %w: %s", filepath.Base(t.Path), args, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}

// RunMeasured is Run, and says the process's peak resident set size in
// bytes: what a runner's memory limit meets. It runs the tool under GNU
// time (%M): the ru_maxrss that wait4 reports for a child of this process
// is not the child's own, since Linux carries the spawning process's peak
// (this test binary's, registries and all) across the exec.
func (t Tool) RunMeasured(ctx context.Context, args ...string) (maxRSS int64, err error) {
	timeBin, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		return 0, fmt.Errorf("measuring peak RSS needs GNU time (apt-get install time): %w", err)
	}
	out := filepath.Join(t.Home, "maxrss")
	cmd := exec.CommandContext(ctx, timeBin, append([]string{"-f", "%M", "-o", out, t.Path}, args...)...)
	cmd.Env = append(append(os.Environ(), "HOME="+t.Home, "DOCKER_CONFIG="+filepath.Join(t.Home, ".docker")), t.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if b, rerr := os.ReadFile(out); rerr == nil {
		fields := strings.Fields(string(b))
		if len(fields) > 0 {
			if kib, perr := strconv.ParseInt(fields[len(fields)-1], 10, 64); perr == nil {
				maxRSS = kib << 10
			}
		}
	}
	if err != nil {
		return maxRSS, fmt.Errorf("%s %v: %w: %s", filepath.Base(t.Path), args, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return maxRSS, nil
}

// Login writes a Docker config with user's credentials for each host into
// the tool's home (crane reads it; regctl takes --host instead).
func (t Tool) Login(tb testing.TB, user, password string, hosts ...string) {
	tb.Helper()
	dir := filepath.Join(t.Home, ".docker")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	auths := map[string]map[string]string{}
	for _, h := range hosts {
		auths[h] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}
	}
	cfg, err := json.Marshal(map[string]any{"auths": auths})
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o600); err != nil {
		tb.Fatal(err)
	}
}
