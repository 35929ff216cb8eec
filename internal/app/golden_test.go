package app_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/action"
	"github.com/tagguard/tagguard/internal/app"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/golden"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/regtest"
	"github.com/tagguard/tagguard/internal/report"
)

// shortDigest is a digest as a summary's table shortens it.
var shortDigest = regexp.MustCompile(`sha256:[0-9a-f]{12}…`)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/golden")

// TestGoldenReports: the reports are tagguard's user interface. Each
// command's text and JSON report on representative cases is compared byte
// for byte with testdata/golden/<command>/<case>.txt|.json, hosts, paths,
// digests and times made stable; go test ./internal/app -update rewrites
// them, and a change to what users read shows as a diff in review. The
// cases run in order against one registry, as a release's life would.
func TestGoldenReports(t *testing.T) {
	srv := regtest.InProcess(t)
	host := strings.Split(srv.Ref("x"), "/")[0]
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	ref := func(tag string) string { return srv.Ref("org/app:" + tag) }
	v1 := regtest.PushImage(t, ref("1.0.0")).String()
	regtest.Tag(t, ref("1.0.0"), ref("latest"))
	build := regtest.PushImage(t, ref("build-2")).String()
	writeLedger := func(name string, images ...ledger.Image) string {
		l := &ledger.Ledger{Schema: ledger.Schema, Created: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), Images: images}
		b, _ := l.Marshal()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	writeFile := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	recorded := writeLedger("ledger-1.0.0.json", ledger.Image{Ref: ref("1.0.0"), Digest: v1}, ledger.Image{Ref: ref("latest"), Digest: v1})
	body, _ := ledger.Upsert("Notes.\n", &ledger.Ledger{Schema: ledger.Schema, Images: []ledger.Image{{Ref: ref("1.0.0"), Digest: v1}}})
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Body: body, CreatedAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)})
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.1", Body: strings.Replace(body, `"images"`, `"images`, 1), CreatedAt: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)})
	// The signature gate's cases: what the real cosign signed with
	// cosign.pub (deterministic digests and key), and build, unsigned.
	signedRepo, _ := name.NewRepository(srv.Ref("org/signed"))
	signedDigest := regtest.PushLayout(t, regtest.Cosign("v2.6.5-legacy"), signedRepo)
	regtest.Tag(t, signedDigest.String(), srv.Ref("org/signed:1.0.0"))
	key := filepath.Join(regtest.Cosign(""), "cosign.pub")
	gated := func(args map[string]string) map[string]string {
		args[options.SignatureKey], args[options.InsecureIgnoreTlog] = key, "true"
		return args
	}
	var proxy *regtest.Proxy
	env := map[string]string{"GITHUB_API_URL": gh.URL, "GITHUB_REPOSITORY": "org/app", "HOME": dir}
	type step struct {
		cmd, name string
		args      map[string]string
		before    func()
		code      int
	}
	for _, s := range []step{
		{cmd: options.Check, name: "pass", args: map[string]string{options.Images: ref("2.0.0") + "," + ref("latest")}},
		{cmd: options.Check, name: "blocked", args: map[string]string{options.Images: ref("1.0.0") + "," + ref("latest")}, code: 1},
		{cmd: options.Check, name: "incomplete", args: map[string]string{options.Images: "127.0.0.1:1/org/app:1.0.0", options.Timeout: "2s"}, code: 3},
		{cmd: options.Record, name: "plan", args: map[string]string{options.Images: ref("1.0.0") + "," + ref("latest"), options.LedgerFile: filepath.Join(dir, "record.json"), options.DryRun: "true"}},
		{cmd: options.Record, name: "ok", args: map[string]string{options.Images: ref("1.0.0") + "," + ref("latest"), options.LedgerFile: filepath.Join(dir, "record.json")}},
		{cmd: options.Record, name: "blocked", args: map[string]string{options.Images: ref("1.0.0"), options.Digest: build}, code: 1},
		{cmd: options.PinCmd, name: "list", args: map[string]string{options.FromLedger: recorded, options.Format: "list"}},
		{cmd: options.PinCmd, name: "verify-blocked", args: map[string]string{options.FromLedger: recorded, options.Verify: "true", options.ComposeFile: writeFile("following.yml", "services:\n  web:\n    image: "+ref("1.0.0")+"\n")}, code: 1},
		{cmd: options.PinCmd, name: "verify-ok", args: map[string]string{options.FromLedger: recorded, options.Verify: "true", options.ComposeFile: writeFile("pinned.yml", "services:\n  web:\n    image: "+ref("1.0.0")+"@"+v1+"\n")}},
		{cmd: options.Promote, name: "plan", args: map[string]string{options.Sources: srv.Ref("org/app") + "@" + build, options.Images: ref("2.0.0") + "," + ref("2") + "," + ref("latest"), options.DryRun: "true"}},
		{cmd: options.Promote, name: "applied", args: map[string]string{options.Sources: srv.Ref("org/app") + "@" + build, options.Images: ref("2.0.0") + "," + ref("2") + "," + ref("latest"), options.LedgerFile: filepath.Join(dir, "ledger-2.0.0.json")}},
		{cmd: options.Promote, name: "blocked", args: map[string]string{options.Sources: srv.Ref("org/app") + "@" + build, options.Images: ref("1.0.0")}, code: 1},
		{cmd: options.Restore, name: "plan", args: map[string]string{options.FromLedger: recorded, options.DryRun: "true"},
			before: func() { regtest.PushImage(t, ref("1.0.0")) }, code: 1}, // latest is held: exit 1, as the run would
		{cmd: options.Restore, name: "partly-applied", before: func() {
			proxy = regtest.FaultProxy(t, srv.URL, regtest.FailManifestPut(1, 400, `{"errors":[{"code":"DENIED","message":"write refused"}]}`))
			regtest.PushImage(t, srv.Ref("org/tool:1.0.0"))
			regtest.PushImage(t, srv.Ref("org/tool:1.1.0"))
		}, code: 4},
		{cmd: options.Audit, name: "ok", args: map[string]string{options.FromLedger: writeLedger("ok.json", ledger.Image{Ref: ref("2.0.0"), Digest: build})}},
		{cmd: options.Audit, name: "drift", args: map[string]string{options.FromLedger: recorded + "," + filepath.Join(dir, "ledger-2.0.0.json"), options.DriftFile: filepath.Join(dir, "drift.json")}, code: 1},
		{cmd: options.Audit, name: "incomplete", args: map[string]string{options.FromReleases: "true", options.GitHubToken: "t0ken"}, code: 3},
		{cmd: options.Record, name: "failed", args: map[string]string{options.Images: "127.0.0.1:1/org/app:1.0.0", options.Timeout: "2s"}, code: 3},
		{cmd: options.Promote, name: "failed", args: map[string]string{options.Sources: "127.0.0.1:1/org/app@" + build, options.Images: ref("3.0.0"), options.Timeout: "2s"}, code: 3},
		{cmd: options.PinCmd, name: "verify-failed", args: map[string]string{options.FromLedger: writeLedger("unreachable.json", ledger.Image{Ref: "127.0.0.1:1/org/app:1.0.0", Digest: v1}), options.Verify: "true", options.Timeout: "2s",
			options.ComposeFile: writeFile("unreachable.yml", "services:\n  web:\n    image: 127.0.0.1:1/org/app:1.0.0@"+v1+"\n")}, code: 3},
		{cmd: options.Restore, name: "blocked", args: map[string]string{options.FromLedger: writeLedger("pruned.json", ledger.Image{Ref: ref("1.0.0"), Digest: "sha256:" + strings.Repeat("0", 64)})}, code: 1},
		{cmd: options.Restore, name: "applied", args: map[string]string{options.FromLedger: writeLedger("restore.json", ledger.Image{Ref: ref("1.0.0"), Digest: v1})}},
		{cmd: options.Check, name: "signature-pass", args: gated(map[string]string{options.Images: srv.Ref("org/signed:1.0.1"), options.Digest: signedDigest.DigestStr()})},
		{cmd: options.Check, name: "signature-blocked", args: gated(map[string]string{options.Images: ref("9.0.0"), options.Digest: build}), code: 1},
		{cmd: options.Promote, name: "signature-plan", args: gated(map[string]string{options.Sources: signedDigest.String(), options.Images: srv.Ref("org/signed:1.0.1"), options.DryRun: "true"})},
		{cmd: options.Promote, name: "signature-blocked", args: gated(map[string]string{options.Sources: srv.Ref("org/app") + "@" + build, options.Images: ref("9.0.0")}), code: 1},
		{cmd: options.Restore, name: "signature-blocked", args: gated(map[string]string{options.Pin: ref("9.0.0") + "@" + build}), code: 1},
		{cmd: options.Audit, name: "unverified", args: gated(map[string]string{options.FromLedger: writeLedger("gated.json", ledger.Image{Ref: ref("2.0.0"), Digest: build}, ledger.Image{Ref: srv.Ref("org/signed:1.0.0"), Digest: signedDigest.DigestStr()})}), code: 1},
		{cmd: options.PinCmd, name: "verify-unverified", args: gated(map[string]string{options.FromLedger: filepath.Join(dir, "gated.json"), options.Verify: "true",
			options.ComposeFile: writeFile("gated.yml", "services:\n  web:\n    image: "+ref("2.0.0")+"@"+build+"\n  signed:\n    image: "+srv.Ref("org/signed:1.0.0")+"@"+signedDigest.DigestStr()+"\n")}), code: 1},
		{cmd: options.PinCmd, name: "list-unverified", args: gated(map[string]string{options.FromLedger: filepath.Join(dir, "gated.json"), options.Format: "list"}), code: 1},
	} {
		if s.before != nil {
			s.before()
		}
		if s.name == "partly-applied" {
			d := func(tag string) string { d, _ := regtest.Raw(t, srv.Ref("org/tool:"+tag)); return d }
			s.args = map[string]string{options.Jobs: "1", options.UndoFile: filepath.Join(dir, "undo.json"), options.FromLedger: writeLedger("tool.json",
				ledger.Image{Ref: proxy.Ref("org/tool:1.0.0"), Digest: d("1.1.0")}, ledger.Image{Ref: proxy.Ref("org/tool:1.1.0"), Digest: d("1.0.0")})}
		}
		vals := options.NewValues(options.For(s.cmd))
		for k, v := range s.args {
			vals.Set(k, v)
		}
		out := app.Run(context.Background(), s.cmd, vals, app.Env{Getenv: func(k string) string { return env[k] }})
		if code := out.ExitCode(); code != s.code || out.Report == nil {
			t.Errorf("%s %s: exit %d (%v), want %d with a report", s.cmd, s.name, code, out.Err, s.code)
			continue
		}
		replace := []string{host, "registry.test", strings.TrimPrefix(gh.URL, "http://"), "github.test", dir, "<tmp>"}
		if proxy != nil {
			replace = append(replace, strings.TrimPrefix(proxy.URL, "http://"), "proxy.test")
		}
		for _, format := range []string{"text", "json"} {
			var b bytes.Buffer
			if err := report.Write(&b, format, s.cmd, out.Report, out.ExitCode()); err != nil {
				t.Fatal(err)
			}
			ext := map[string]string{"text": "txt", "json": "json"}[format]
			golden.File(t, filepath.Join("testdata", "golden", s.cmd, fmt.Sprintf("%s.%s", s.name, ext)), golden.Stable(b.Bytes(), replace...), *update)
		}
		// The job summary the action writes for the same run: what a
		// person reads in the Actions UI, held like the other two.
		summary := golden.Stable([]byte(action.Summary(s.cmd, out.Report.Show())), replace...)
		summary = shortDigest.ReplaceAll(summary, []byte("sha256:<short>…")) // the table's shortened digests
		golden.File(t, filepath.Join("testdata", "golden", s.cmd, s.name+".summary.md"), summary, *update)
	}
}
