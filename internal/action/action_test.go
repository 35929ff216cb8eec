package action

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/tagguard/tagguard/internal/audit"
	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/pin"
	"github.com/tagguard/tagguard/internal/promote"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/redact"
	"github.com/tagguard/tagguard/internal/report"
	"github.com/tagguard/tagguard/internal/restore"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestInputsHyphensAndDefaults(t *testing.T) {
	t.Parallel()
	vals, note, err := Inputs("check", env(map[string]string{
		"INPUT_IMAGES":        "ghcr.io/org/app:1.0.0\nghcr.io/org/app:latest\n",
		"INPUT_EXPECTED-BASE": "main, release/*",
		"INPUT_JOBS":          "",
	}))
	if err != nil || note != "" {
		t.Fatal(err, note)
	}
	if got := vals.List("expected-base"); len(got) != 2 || got[1] != "release/*" {
		t.Errorf("expected-base %v", got)
	}
	if vals.Int("jobs") != 8 || vals.String("timeout") != "5m" || !vals.Bool("require-base") {
		t.Errorf("Go defaults not applied: jobs %d timeout %s", vals.Int("jobs"), vals.String("timeout"))
	}
	if _, _, err := Inputs("check", env(map[string]string{"INPUT_JOBS": "many"})); err == nil {
		t.Error("bad jobs accepted")
	}
	if _, _, err := Inputs("check", env(map[string]string{"DOCKER_METADATA_OUTPUT_JSON": "{"})); err == nil {
		t.Error("bad metadata JSON accepted")
	}
	vals, note, _ = Inputs("record", env(map[string]string{"DOCKER_METADATA_OUTPUT_JSON": `{"tags":["a/b:1","a/b:latest"]}`}))
	if got := vals.List("images"); len(got) != 2 || note == "" {
		t.Errorf("metadata fallback: %v %q", got, note)
	}
	for _, bad := range []string{"", "publish"} {
		if _, err := Mode(env(map[string]string{"INPUT_MODE": bad})); err == nil {
			t.Errorf("mode %q accepted", bad)
		}
	}
	ignored := Ignored("check", env(map[string]string{"INPUT_PIN": "a/b:1@sha256:x", "INPUT_CREATE-RELEASE": "false", "INPUT_IMAGES": "a/b:1"}))
	if len(ignored) != 1 || ignored[0] != "pin" {
		t.Errorf("ignored %v, want [pin]", ignored)
	}
	if m, _ := Mode(env(map[string]string{"INPUT_MODE": " Restore "})); m != "restore" {
		t.Errorf("mode %q", m)
	}
}

// readOutputs parses GITHUB_OUTPUT as the runner does.
func readOutputs(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("line %q", lines[i])
		}
		var v []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			v = append(v, lines[i])
		}
		if _, dup := out[name]; dup {
			t.Fatalf("output %s twice: the delimiter was forged", name)
		}
		out[name] = strings.Join(v, "\n")
	}
	return out
}

func TestOutputsSurviveHostileText(t *testing.T) {
	t.Parallel()
	hostile := "registry said:\n" + outputDelimiter + "\nblocked<<X\nfalse\nX\n::set-output name=blocked::false"
	rep := &check.Report{Command: "check", Blocked: true, Refs: []check.Ref{{Ref: "a/b:1.0.0", Verdict: check.Blocked, Reason: hostile}}}
	outs, _, err := Outputs("check", rep, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "out")
	a := githubactions.New(githubactions.WithGetenv(env(map[string]string{"GITHUB_OUTPUT": path})), githubactions.WithWriter(&bytes.Buffer{}))
	if err := SetOutputs(a, outs); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	got := readOutputs(t, string(b))
	if got["blocked"] != "true" || len(got) != 2 || !strings.Contains(got["report"], `\u005fGitHubActionsFileCommandDelimeter_`) {
		t.Errorf("outputs %v", got)
	}
	if strings.Contains(got["report"], "\n") {
		t.Errorf("report output spans lines: %q", got["report"])
	}

	bad := &record.Report{Outputs: record.Outputs{Pinned: "x\n" + outputDelimiter}}
	if _, _, err := Outputs("check", bad, 1); err == nil {
		t.Error("a plain output holding the delimiter was accepted")
	}
	if err := SetOutputs(githubactions.New(githubactions.WithGetenv(env(map[string]string{"GITHUB_OUTPUT": t.TempDir()}))), outs); err == nil {
		t.Error("an unwritable GITHUB_OUTPUT was not reported")
	}
}

func TestEveryDeclaredOutputIsWritten(t *testing.T) {
	t.Parallel()
	written := map[string]bool{}
	for _, rep := range []report.Report{&check.Report{}, &record.Report{}, &restore.Report{}, &promote.Report{}, &audit.Report{Drift: &ledger.Ledger{}}, &pin.Report{}} {
		outs, _, err := Outputs("check", rep, 1)
		if err != nil {
			t.Fatal(err)
		}
		for k := range outs {
			written[k] = true
		}
	}

	for _, n := range OutputNames() {

		if !written[n] {
			t.Errorf("output %s is declared in action.yml but no mode writes it", n)
		}
		delete(written, n)
	}
	if len(written) > 0 {
		t.Errorf("outputs written but not declared: %v", written)
	}
}

func TestAnnotationsAreCapped(t *testing.T) {
	t.Parallel()
	rep := &check.Report{Guards: []check.Guard{{Name: check.GuardBase, Verdict: check.Blocked, Detail: "comes from dev"}}}
	for i := range 14 {
		rep.Refs = append(rep.Refs, check.Ref{Ref: fmt.Sprintf("a/b:1.0.%d", i), Tag: fmt.Sprintf("1.0.%d", i), Verdict: check.Blocked, Reason: "exists\n::add-mask::x"})
	}
	var out bytes.Buffer
	Annotate(githubactions.New(githubactions.WithWriter(&out)), redact.New(nil), rep.Show(), nil)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d annotations, want 9 and one summing up:\n%s", len(lines), out.String())
	}
	if !strings.Contains(lines[9], "6 more errors") {
		t.Errorf("last annotation %q", lines[9])
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "::error ") {
			t.Errorf("annotation %q: outside text broke the line", l)
		}
	}
}

func TestSummaryEscapesCells(t *testing.T) {
	t.Parallel()
	md := Summary("restore", (&restore.Report{Summary: "OK", Source: "release v1", Tags: []restore.Tag{{Ref: "a/b:1", To: "sha256:x", State: restore.Failed, Reason: "bad | <script>\nnext"}}}).Show())
	if strings.Contains(md, "<script>") || strings.Count(md, "\n") != 7 || !strings.Contains(md, `bad \| \<script\> next`) {
		t.Errorf("summary:\n%s", md)
	}
}

// TestOutsideTextIsInertInTheSummary: Markdown from
// release notes (an image on an outside host, a link) rendered in the job
// summary; HTML was escaped, Markdown was not. Every character that would
// make a link, an image, emphasis, code, HTML or an autolink is escaped.
func TestOutsideTextIsInertInTheSummary(t *testing.T) {
	t.Parallel()
	hostile := "![x](https://evil.example/t.png) [click](http://evil.example) <img src=x> **bold** `code` www.evil.example a@evil.example &amp; | # h"
	md := Summary("audit", report.Shown{Title: hostile, Notes: []string{hostile}, Footer: []string{hostile},
		Tables: []report.Table{{Columns: []report.Column{{Name: "detail"}, {Name: "ref", Kind: report.Code}}, Rows: []report.Row{{Cells: []string{hostile, hostile}}}}}})
	escaped := regexp.MustCompile(`\\.`)
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ---") {
			continue
		}
		if i := strings.Index(line, " | `"); i >= 0 {
			line = line[:i] // the code column, below
		}
		// What is left once every escaped character is taken out must hold
		// nothing Markdown or GitHub's autolinks act on.
		bare := escaped.ReplaceAllString(strings.TrimPrefix(line, "### "), "")
		for _, live := range []string{"!", "[", "]", "(", "<", "*", "`", "://", "www.", "@", "&", "#"} {
			if strings.Contains(bare, live) {
				t.Errorf("%q is live in %q", live, line)
			}
		}
	}
	// In the table the ref column is a code span: inert by construction,
	// one span, the table's column intact.
	if !strings.Contains(md, "| `![x](https://evil.example/t.png) [click](http://evil.example) <img src=x> **bold** 'code' www.evil.example a@evil.example &amp; \\| # h` |") {
		t.Errorf("code cell:\n%s", md)
	}
	if !strings.Contains(md, `\!\[x\]\(https\://evil.example/t.png\)`) {
		t.Errorf("text cell:\n%s", md)
	}
}

// TestReportOutputOnBadInput: the report output is written when the run
// ends before it has a report (exit 2 here), so a later step's
// fromJSON(steps.x.outputs.report).verdict reads bad-input, not nothing.
func TestReportOutputOnBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{
		"GITHUB_ACTIONS":    "true",
		"INPUT_MODE":        "check",
		"INPUT_IMAGES":      "bad ref!",
		"GITHUB_OUTPUT":     filepath.Join(dir, "output"),
		"GITHUB_REPOSITORY": "org/app",
		"GITHUB_WORKSPACE":  dir,
		"RUNNER_TEMP":       dir,
	}
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), &stdout, &stderr, func(k string) string { return env[k] }); code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", code, stdout.String(), stderr.String())
	}
	out, err := os.ReadFile(env["GITHUB_OUTPUT"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"report<<", `"verdict":"bad-input"`, `"exitCode":2`, `"command":"check"`, `"body":null`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("GITHUB_OUTPUT lacks %s:\n%s", want, out)
		}
	}
}

// TestSummaryHasNoEmptyCodeSpan: an empty code cell renders as nothing,
// not as two backticks.
func TestSummaryHasNoEmptyCodeSpan(t *testing.T) {
	t.Parallel()
	s := Summary("pin", report.Shown{Title: "BLOCKED: x", Tables: []report.Table{{Columns: []report.Column{{Name: "pinned", Kind: report.Code}}, Rows: []report.Row{{Cells: []string{""}}}}}})
	if strings.Contains(s, "``") {
		t.Errorf("an empty code span:\n%s", s)
	}
}
