package app_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/app"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/regtest"
	"github.com/tagguard/tagguard/internal/report"
)

// verdicts is which headline words each exit code may carry.
var verdicts = map[int][]string{
	0: {"OK", "DRY RUN"},
	1: {"BLOCKED", "DRIFT"},
	2: {"STOPPED", "FAILED"},
	3: {"INCOMPLETE", "FAILED", "STOPPED"},
	4: {"PARTLY APPLIED"},
}

// TestHeadlineAgreesWithExitCode: the headline's
// verdict word and the exit code always agree, for every command; an
// audit exited 3 under "OK", a promote exited 1 with blocked false.
func TestHeadlineAgreesWithExitCode(t *testing.T) {
	srv := regtest.InProcess(t)
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	ref := func(tag string) string { return srv.Ref("org/app:" + tag) }
	d := regtest.PushImage(t, ref("1.0.0")).String()
	regtest.Tag(t, ref("1.0.0"), ref("latest"))
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	ledgerFile := filepath.Join(dir, "ledger.json")
	os.WriteFile(ledgerFile, []byte(`{"schema":"tagguard.ledger/v1","created":"2026-11-20T10:00:00Z","images":[{"ref":"`+ref("1.0.0")+`","digest":"`+d+`"}]}`), 0o644)
	drifted := filepath.Join(dir, "drifted.json")
	os.WriteFile(drifted, []byte(`{"schema":"tagguard.ledger/v1","created":"2026-11-20T10:00:00Z","images":[{"ref":"`+ref("1.0.0")+`","digest":"sha256:`+strings.Repeat("e", 64)+`"}]}`), 0o644)
	gone := srv.Ref("org/app") + "@sha256:" + strings.Repeat("f", 64)
	env := map[string]string{"GITHUB_API_URL": gh.URL, "GITHUB_REPOSITORY": "org/app", "HOME": dir}
	for _, tc := range []struct {
		cmd  string
		args map[string]string
		code int
	}{
		{options.Check, map[string]string{options.Images: ref("2.0.0")}, 0},
		{options.Check, map[string]string{options.Images: ref("1.0.0")}, 1},
		{options.Check, map[string]string{options.Images: "127.0.0.1:1/org/app:1.0.0", options.Timeout: "2s"}, 3},
		{options.Record, map[string]string{options.Images: ref("1.0.0")}, 0},
		{options.Record, map[string]string{options.Images: ref("1.0.0"), options.Digest: "sha256:" + strings.Repeat("e", 64)}, 1},
		{options.Record, map[string]string{options.Images: ref("1.0.0"), options.ReleaseTag: "v9.9.9", options.GitHubToken: "t0ken"}, 3},
		{options.Promote, map[string]string{options.Sources: gone, options.Images: ref("3.0.0")}, 1},
		{options.Promote, map[string]string{options.Sources: srv.Ref("org/app") + "@" + d, options.Images: ref("1.0.0"), options.DryRun: "true"}, 0},
		{options.Restore, map[string]string{options.FromLedger: ledgerFile}, 0},
		{options.Restore, map[string]string{options.FromLedger: drifted}, 1},
		{options.Audit, map[string]string{options.FromLedger: ledgerFile}, 0},
		{options.Audit, map[string]string{options.FromLedger: drifted}, 1},
		{options.Audit, map[string]string{options.FromReleases: "true", options.GitHubToken: "t0ken", options.Timeout: "3s"}, 3},
	} {
		if tc.cmd == options.Audit && tc.args[options.FromReleases] != "" {
			gh.FailNext(20, ghtest.ServerError(500))
		}
		vals := options.NewValues(options.For(tc.cmd))
		for k, v := range tc.args {
			vals.Set(k, v)
		}
		out := app.Run(context.Background(), tc.cmd, vals, app.Env{Getenv: func(k string) string { return env[k] }})
		code := out.ExitCode()
		if code != tc.code {
			t.Errorf("%s %v: exit %d, want %d (%v)", tc.cmd, tc.args, code, tc.code, out.Err)
		}
		if out.Report == nil {
			continue
		}
		env := report.NewEnvelope(tc.cmd, out.Report, code)
		ok := false
		for _, v := range verdicts[code] {
			ok = ok || strings.HasPrefix(env.Summary, v)
		}
		if !ok {
			t.Errorf("%s %v: exit %d under the headline %q", tc.cmd, tc.args, code, env.Summary)
		}
		if b, has := env.Outputs["blocked"]; has && b != (code == 1 || code == 3 && tc.cmd == options.Check) {
			t.Errorf("%s %v: exit %d with blocked %v", tc.cmd, tc.args, code, b)
		}
		if raw, _ := json.Marshal(env); !strings.Contains(string(raw), `"verdict":"`+report.VerdictOf(code, env.Summary)+`"`) {
			t.Errorf("%s: envelope %s", tc.cmd, raw)
		}
	}
}
