package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
)

const ghToken = "ghs_runnerContractToken123"

// step is one run of the action as the runner runs a container action.
type step struct {
	exit    int
	stdout  string
	stderr  string
	outputs map[string]string
	summary string
}

// actionDefaults reads the inputs and defaults of action.yml, as the runner
// does, with ${{ github.token }} evaluated.
func actionDefaults(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	defaults := map[string]string{}
	inInputs, name := false, ""
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case line == "inputs:":
			inInputs = true
		case !strings.HasPrefix(line, " "):
			inInputs = false
		case inInputs && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   "):
			name = strings.TrimSuffix(strings.TrimSpace(line), ":")
		case inInputs && strings.HasPrefix(line, "    default: "):
			v := strings.TrimPrefix(line, "    default: ")
			if uq, err := unquote(v); err == nil {
				v = uq
			}
			defaults[name] = strings.ReplaceAll(v, "${{ github.token }}", ghToken)
		}
	}
	if len(defaults) == 0 {
		t.Fatal("no input defaults read from action.yml")
	}
	return defaults
}

func unquote(s string) (string, error) {
	var v string
	err := json.Unmarshal([]byte(s), &v)
	return v, err
}

// runStep runs the binary with the environment the runner builds: INPUT_*
// from with: (plus action.yml's defaults unless withoutDefaults), the GITHUB_*
// variables, an event file, fresh GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, and
// HOME=/github/home-like. No GITHUB_TOKEN: the runner does not pass it.
func runStep(t *testing.T, with map[string]string, env map[string]string, withoutDefaults bool) step {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "github", "home")
	os.MkdirAll(home, 0o755)
	outFile, sumFile := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	os.WriteFile(outFile, nil, 0o644)
	os.WriteFile(sumFile, nil, 0o644)
	vars := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": home, "GITHUB_ACTIONS": "true", "CI": "true",
		"GITHUB_OUTPUT": outFile, "GITHUB_STEP_SUMMARY": sumFile,
		"GITHUB_REPOSITORY": "org/app", "GITHUB_ACTOR": "octocat", "GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_RUN_ID": "42", "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main",
		"GITHUB_SHA": strings.Repeat("a", 40), "RUNNER_TEMP": dir, "TAGGUARD_TEST_AS_BINARY": "1",
	}
	if !withoutDefaults {
		for k, v := range actionDefaults(t) {
			vars["INPUT_"+strings.ToUpper(k)] = v
		}
	}
	for k, v := range with {
		vars["INPUT_"+strings.ToUpper(k)] = v
	}
	for k, v := range env {
		vars[k] = v
	}
	if vars["GITHUB_EVENT_PATH"] == "" {
		p := filepath.Join(dir, "event.json")
		os.WriteFile(p, []byte(`{"ref":"`+vars["GITHUB_REF"]+`","after":"`+vars["GITHUB_SHA"]+`"}`), 0o644)
		vars["GITHUB_EVENT_PATH"] = p
	}
	cmd := exec.Command(os.Args[0])
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	s := step{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		s.exit = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(outFile)
	s.outputs = parseOutputs(t, string(out))
	sum, _ := os.ReadFile(sumFile)
	s.summary = string(sum)
	return s
}

// parseOutputs reads GITHUB_OUTPUT the way the runner does: NAME=VALUE
// lines, or NAME<<DELIMITER, the value's lines, and DELIMITER alone.
func parseOutputs(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var value []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				value = append(value, sc.Text())
			}
			if !closed {
				t.Fatalf("GITHUB_OUTPUT: %s<<%s never closed", name, delim)
			}
			if _, dup := out[name]; dup {
				t.Fatalf("GITHUB_OUTPUT: %s written twice", name)
			}
			out[name] = strings.Join(value, "\n")
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT: unreadable line %q", line)
		}
		out[name] = value
	}
	return out
}

func assertNoSecret(t *testing.T, s step, secrets ...string) {
	t.Helper()
	all := s.stdout + s.stderr + s.summary
	for _, v := range s.outputs {
		all += v
	}
	for _, sec := range secrets {
		// The masks themselves are the one place a secret may appear: the
		// runner reads ::add-mask:: and never shows it.
		var rest []string
		for _, line := range strings.Split(all, "\n") {
			if !strings.HasPrefix(line, "::add-mask::") {
				rest = append(rest, line)
			}
		}
		if strings.Contains(strings.Join(rest, "\n"), sec) {
			t.Errorf("secret %q leaked:\n%s", sec, all)
		}
	}
	if !strings.HasPrefix(s.stdout, "::add-mask::") {
		t.Errorf("stdout does not start with the masks:\n%s", s.stdout)
	}
}

func TestRunnerContract(t *testing.T) {
	reg := regtest.Distribution(t, regtest.WithHtpasswd(regtest.User, regtest.Password))
	p := reg.Pusher()
	d015 := p.PushIndex(t, reg.Ref("org/app:0.15.0"))
	p.Tag(t, reg.Ref("org/app:0.15.0"), reg.Ref("org/app:latest"))
	auth := reg.Host + "=" + regtest.User + ":" + regtest.Password
	gh := ghtest.New(t, ghtest.WithToken(ghToken))
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v0.15.0", Body: "Release notes by a person.\n"})
	env := map[string]string{"GITHUB_API_URL": gh.URL}

	t.Run("check blocked", func(t *testing.T) {
		s := runStep(t, map[string]string{"mode": "check", "registry-auth": auth,
			"images": reg.Ref("org/app:0.15.0") + "\n" + reg.Ref("org/app:latest"), "expected-base": "main"}, env, false)
		if s.exit != 1 {
			t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", s.exit, s.stdout, s.stderr)
		}
		if s.outputs["blocked"] != "true" {
			t.Errorf("blocked output %q", s.outputs["blocked"])
		}
		var rep struct {
			Schema, Verdict string
			ExitCode        int
			Body            struct {
				Blocked bool `json:"blocked"`
				Refs    []struct{ Current string }
			}
			Outputs struct{ Blocked bool }
		}
		if err := json.Unmarshal([]byte(s.outputs["report"]), &rep); err != nil || rep.Schema != "tagguard.report/v1" || rep.Verdict != "blocked" || rep.ExitCode != 1 ||
			!rep.Body.Blocked || !rep.Outputs.Blocked || rep.Body.Refs[0].Current != d015.String() {
			t.Errorf("report output %q (%v)", s.outputs["report"], err)
		}
		if !strings.Contains(s.stdout, "::error title=tagguard%3A 0.15.0 blocked::") || !strings.Contains(s.stdout, d015.String()) {
			t.Errorf("no error annotation for 0.15.0:\n%s", s.stdout)
		}
		if !strings.Contains(s.summary, "| ❌ blocked | `"+reg.Ref("org/app:0.15.0")+"`") {
			t.Errorf("summary:\n%s", s.summary)
		}
		// The step's user writes inputs, not flags, in sentences that read.
		for where, text := range map[string]string{"log": s.stdout, "summary": s.summary} {
			if strings.Contains(text, "--digest") || !strings.Contains(text, "pass the digest input with the digest that build produced") {
				t.Errorf("the %s names the flag --digest, not the input digest:\n%s", where, text)
			}
		}
		assertNoSecret(t, s, regtest.Password, ghToken)
	})

	t.Run("check without action.yml defaults", func(t *testing.T) {
		// uses: docker://… skips action.yml: only the inputs given arrive.
		s := runStep(t, map[string]string{"mode": "check", "registry-auth": auth, "images": reg.Ref("org/app:0.16.0"),
			"expected-base": "release/*"}, env, true)
		if s.exit != 1 || !strings.Contains(s.stdout, "base-branch guard blocked") {
			t.Fatalf("exit %d\n%s\n%s", s.exit, s.stdout, s.stderr)
		}
		s = runStep(t, map[string]string{"mode": "check", "registry-auth": auth, "images": reg.Ref("org/app:0.16.0")}, env, true)
		if s.exit != 0 || s.outputs["blocked"] != "false" {
			t.Fatalf("exit %d outputs %v\n%s", s.exit, s.outputs, s.stderr)
		}
	})

	t.Run("check images from metadata-action", func(t *testing.T) {
		md := `{"tags":["` + reg.Ref("org/app:0.15.0") + `"],"labels":{}}`
		s := runStep(t, map[string]string{"mode": "check", "registry-auth": auth}, map[string]string{"DOCKER_METADATA_OUTPUT_JSON": md}, false)
		if s.exit != 1 || !strings.Contains(s.stdout, "DOCKER_METADATA_OUTPUT_JSON") {
			t.Fatalf("exit %d\n%s\n%s", s.exit, s.stdout, s.stderr)
		}
	})

	tagRun := map[string]string{"GITHUB_API_URL": gh.URL, "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v0.15.0", "GITHUB_REF_NAME": "v0.15.0"}
	t.Run("record into the release", func(t *testing.T) {
		s := runStep(t, map[string]string{"mode": "record", "registry-auth": auth, "digest": d015.String(),
			"images": reg.Ref("org/app:0.15.0") + "," + reg.Ref("org/app:latest")}, tagRun, false)
		if s.exit != 0 {
			t.Fatalf("exit %d\n%s\n%s", s.exit, s.stdout, s.stderr)
		}
		if s.outputs["digest"] != d015.String() || !strings.Contains(s.outputs["pinned"], reg.Ref("org/app")+"@"+d015.String()) {
			t.Errorf("outputs %v", s.outputs)
		}
		if _, err := ledger.Parse([]byte(s.outputs["ledger"])); err != nil {
			t.Errorf("ledger output: %v", err)
		}
		rel, _ := gh.Release("org", "app", "v0.15.0")
		if !strings.HasPrefix(rel.Body, "Release notes by a person.\n") || !strings.Contains(rel.Body, d015.String()) {
			t.Errorf("release body:\n%s", rel.Body)
		}
		assertNoSecret(t, s, regtest.Password, ghToken)
	})

	t.Run("restore from the release", func(t *testing.T) {
		p.PushImage(t, reg.Ref("org/app:0.15.0")) // the unguarded overwrite
		s := runStep(t, map[string]string{"mode": "restore", "registry-auth": auth, "from-release": "v0.15.0", "dry-run": "true"}, env, false)
		if s.exit != 0 || s.outputs["changed"] != "[]" {
			t.Fatalf("dry run: exit %d outputs %v\n%s", s.exit, s.outputs, s.stderr)
		}
		s = runStep(t, map[string]string{"mode": "restore", "registry-auth": auth, "from-release": "v0.15.0"}, env, false)
		if s.exit != 0 {
			t.Fatalf("exit %d\n%s\n%s", s.exit, s.stdout, s.stderr)
		}
		var changed []struct{ Ref, From, To string }
		if err := json.Unmarshal([]byte(s.outputs["changed"]), &changed); err != nil || len(changed) != 1 || changed[0].To != d015.String() {
			t.Errorf("changed %q", s.outputs["changed"])
		}
		if !strings.Contains(s.stdout, "::notice title=tagguard%3A restored") {
			t.Errorf("no notice:\n%s", s.stdout)
		}
		if _, err := ledger.Parse([]byte(s.outputs["undo"])); err != nil {
			t.Errorf("undo output: %v", err)
		}
		assertNoSecret(t, s, regtest.Password, ghToken)
	})

	t.Run("restore refused", func(t *testing.T) {
		// A refusal is the report's, and is said where an error is said:
		// an error annotation and the log line, exit 1, verdict blocked.
		absent := "sha256:" + strings.Repeat("d", 64)
		s := runStep(t, map[string]string{"mode": "restore", "registry-auth": auth, "pin": reg.Ref("org/app:0.15.0") + "@" + absent}, env, false)
		if s.exit != 1 {
			t.Fatalf("exit %d, want 1\n%s\n%s", s.exit, s.stdout, s.stderr)
		}
		if !strings.Contains(s.stdout, "::error::tagguard: pre-flight: 1 target(s) not complete") || !strings.Contains(s.stderr, "tagguard: pre-flight: 1 target(s) not complete") {
			t.Errorf("the refusal is not said where an error is:\nstdout:\n%s\nstderr:\n%s", s.stdout, s.stderr)
		}
		var rep struct{ Verdict string }
		if err := json.Unmarshal([]byte(s.outputs["report"]), &rep); err != nil || rep.Verdict != "blocked" || s.outputs["changed"] != "[]" {
			t.Errorf("report %q, changed %q", s.outputs["report"], s.outputs["changed"])
		}
		assertNoSecret(t, s, regtest.Password, ghToken)
	})

	t.Run("promote push-by-digest sources", func(t *testing.T) {
		amd := p.PushImage(t, reg.Ref("ci/app:build-amd64"), regtest.WithPlatform("linux/amd64"))
		arm := p.PushImage(t, reg.Ref("ci/app:build-arm64"), regtest.WithPlatform("linux/arm64"))
		sources := reg.Ref("ci/app") + "@" + amd.String() + "\n" + reg.Ref("ci/app") + "@" + arm.String()
		with := map[string]string{"mode": "promote", "registry-auth": auth, "sources": sources,
			"images": reg.Ref("org/app:0.16.0") + "\n" + reg.Ref("org/app:latest"), "expected-base": "main"}
		s := runStep(t, with, env, false)
		if s.exit != 0 {
			t.Fatalf("exit %d\n%s\n%s", s.exit, s.stdout, s.stderr)
		}
		d, _ := p.Raw(t, reg.Ref("org/app:0.16.0"))
		if s.outputs["digest"] != d || s.outputs["blocked"] != "false" || !strings.Contains(s.outputs["pinned"], reg.Ref("org/app")+"@"+d) {
			t.Errorf("outputs %v, 0.16.0 at %s", s.outputs, d)
		}
		if _, err := ledger.Parse([]byte(s.outputs["ledger"])); err != nil {
			t.Errorf("ledger output: %v", err)
		}
		if !strings.Contains(s.summary, "### tagguard promote: OK") || !strings.Contains(s.summary, "✅ written") {
			t.Errorf("summary:\n%s", s.summary)
		}
		// The same step again is a re-run: nothing written, still exit 0;
		// publishing other bits to 0.16.0 is blocked before any write.
		if s := runStep(t, with, env, false); s.exit != 0 || !strings.Contains(s.stdout, "UNCHANGED") {
			t.Errorf("re-run: exit %d\n%s", s.exit, s.stdout)
		}
		with["sources"] = reg.Ref("ci/app") + "@" + amd.String()
		if s := runStep(t, with, env, false); s.exit != 1 || s.outputs["blocked"] != "true" || !strings.Contains(s.stdout, "::error title=tagguard%3A 0.16.0 blocked::") {
			t.Errorf("overwrite: exit %d outputs %v\n%s", s.exit, s.outputs, s.stdout)
		}
		assertNoSecret(t, s, regtest.Password, ghToken)
	})

	t.Run("audit every release", func(t *testing.T) {
		// The release notes hold the ledger record wrote above; 0.15.0
		// was restored, so it is where the ledger says.
		s := runStep(t, map[string]string{"mode": "audit", "registry-auth": auth, "from-releases": "true", "tags": "0.15.0"}, env, false)
		if s.exit != 0 || !strings.Contains(s.summary, "### tagguard audit: OK") {
			t.Fatalf("exit %d\n%s\n%s\n%s", s.exit, s.stdout, s.stderr, s.summary)
		}
		// The promote above moved latest to 0.16.0 but wrote no release
		// notes: no release records 0.16.0, so the move is not taken for
		// an advance along the line (a version tag pushed by hand is not a
		// release): drift, saying why.
		s = runStep(t, map[string]string{"mode": "audit", "registry-auth": auth, "from-releases": "true"}, env, false)
		if !strings.Contains(s.stdout, "not taken for an advance") {
			t.Errorf("no reason given:\n%s", s.stdout)
		}
		if s.exit != 1 || !strings.Contains(s.stdout, "org/app%3Alatest drifted::") {
			t.Fatalf("drift: exit %d\n%s\n%s", s.exit, s.stdout, s.stderr)
		}
		l, err := ledger.Parse([]byte(s.outputs["drift"]))
		if err != nil || len(l.Images) != 1 || l.Images[0].Digest != d015.String() {
			t.Errorf("drift output %q: %v", s.outputs["drift"], err)
		}
		// The drift ledger is restore's input: audit, review, restore.
		driftFile := filepath.Join(t.TempDir(), "drift.json")
		os.WriteFile(driftFile, []byte(s.outputs["drift"]), 0o644)
		if s := runStep(t, map[string]string{"mode": "restore", "registry-auth": auth, "from-ledger": driftFile}, env, false); s.exit != 0 {
			t.Errorf("restore from the drift: exit %d\n%s", s.exit, s.stdout)
		}
		assertNoSecret(t, s, regtest.Password, ghToken)
	})

	t.Run("unwritable GITHUB_OUTPUT fails the step", func(t *testing.T) {
		s := runStep(t, map[string]string{"mode": "check", "registry-auth": auth, "images": reg.Ref("org/app:0.16.0")},
			map[string]string{"GITHUB_API_URL": gh.URL, "GITHUB_OUTPUT": t.TempDir()}, false)
		if s.exit != 3 || !strings.Contains(s.stdout, "GITHUB_OUTPUT") {
			t.Errorf("exit %d, want 3 naming GITHUB_OUTPUT\n%s", s.exit, s.stdout)
		}
	})

	t.Run("bad mode", func(t *testing.T) {
		s := runStep(t, map[string]string{"mode": "publish"}, env, false)
		if s.exit != 2 || !strings.Contains(s.stdout, "::error::tagguard: input mode") {
			t.Errorf("exit %d\n%s", s.exit, s.stdout)
		}
	})
}

// TestCLILeavesRunnerFilesAlone: outside Actions (no GITHUB_ACTIONS) the
// CLI writes no outputs or summary even when the variables are set.
func TestCLILeavesRunnerFilesAlone(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "check", "--images", "127.0.0.1:1/org/app:1.0.0", "--timeout", "2s")
	cmd.Env = []string{"TAGGUARD_TEST_AS_BINARY=1", "PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"GITHUB_OUTPUT=" + filepath.Join(dir, "out"), "GITHUB_STEP_SUMMARY=" + filepath.Join(dir, "sum")}
	_ = cmd.Run()
	for _, f := range []string{"out", "sum"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s was touched outside Actions", f)
		}
	}
}
