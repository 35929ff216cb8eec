package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/cli"
	"github.com/tagguard/tagguard/internal/regtest"
)

// tokenRegistry is the distribution registry in `auth: token:` mode behind
// regtest's token service: the Bearer flow of GHCR and Docker Hub.
func tokenRegistry(t *testing.T) (*regtest.DistributionServer, *regtest.TokenService) {
	t.Helper()
	ts := regtest.NewTokenService(t)
	ts.AddUser("writer", "writer-Secret-1", []string{"pull", "push"}, "org/app", "org/tool")
	ts.AddUser("reader", "reader-Secret-2", []string{"pull"}, "org/app", "org/tool")
	ts.Public("org/public")
	ts.AddUser("writer", "writer-Secret-1", []string{"pull", "push"}, "org/app", "org/tool", "org/public")
	return regtest.Distribution(t, regtest.WithTokenAuth(ts)), ts
}

// perScope counts the token requests per scope asked for.
func perScope(ts *regtest.TokenService) map[string]int {
	out := map[string]int{}
	for _, r := range ts.Requests() {
		out[strings.Join(r.Scopes, " ")]++
	}
	return out
}

// TestBearerTokenFlowEndToEnd: check, record and restore
// against a registry that uses the token flow, with one token exchange per
// repository and scope, anonymous pull of a public repository, a wrong
// password, and a pull-only grant meeting a restore's write.
func TestBearerTokenFlowEndToEnd(t *testing.T) {
	reg, ts := tokenRegistry(t)
	w := regtest.As("writer", "writer-Secret-1")
	app, tool, public := reg.Ref("org/app:1.0.0"), reg.Ref("org/tool:2.0.0"), reg.Ref("org/public:3.0.0")
	d := w.PushImage(t, app)
	w.Tag(t, app, reg.Ref("org/app:latest"))
	w.PushImage(t, tool)
	w.PushImage(t, public)
	writer := "--registry-auth=" + reg.Host + "=writer:writer-Secret-1"
	reader := "--registry-auth=" + reg.Host + "=reader:reader-Secret-2"

	// check: one pull token per repository, however many refs it reads.
	ts.Reset()
	code, out, errOut := runCLI(t, "check", writer, "--images", app+","+reg.Ref("org/app:latest")+","+reg.Ref("org/app:1.0.1")+","+tool)
	if code != 1 || !strings.Contains(out, "1.0.0 already exists") {
		t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
	}
	if got := perScope(ts); got["repository:org/app:pull"] != 1 || got["repository:org/tool:pull"] != 1 || len(got) != 2 {
		t.Errorf("check's token requests per scope %v: want one per repository", got)
	}

	// record: reads only, so pull tokens only.
	ts.Reset()
	ledgerFile := filepath.Join(t.TempDir(), "ledger.json")
	if code, out, errOut := runCLI(t, "record", writer, "--images", app+","+tool, "--ledger-file", ledgerFile); code != 0 {
		t.Fatalf("record: exit %d\n%s%s", code, out, errOut)
	}
	if got := perScope(ts); got["repository:org/app:pull"] != 1 || got["repository:org/tool:pull"] != 1 || len(got) != 2 {
		t.Errorf("record's token requests per scope %v", got)
	}

	// Anonymous pull of a public repository: check and record work.
	if code, out, errOut := runCLI(t, "check", "--images", reg.Ref("org/public:3.0.1")); code != 0 {
		t.Errorf("anonymous check of a public repository: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "record", "--images", public); code != 0 {
		t.Errorf("anonymous record of a public repository: exit %d\n%s%s", code, out, errOut)
	}

	// A wrong password: exit 3, the registry named, the password nowhere.
	code, out, errOut = runCLI(t, "check", "--registry-auth="+reg.Host+"=writer:Wrong-Passw0rd", "--images", app)
	if code != 3 || !strings.Contains(errOut, reg.Host) || !strings.Contains(out+errOut, "refused") {
		t.Errorf("wrong password: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "Wrong-Passw0rd") {
		t.Errorf("the password leaked:\n%s%s", out, errOut)
	}
	t.Logf("a wrong password reads:\n%s", errOut)

	// Overwrite, then restore with a pull-only grant: the pre-flight and
	// the plan read, the write is refused, nothing is half-done unreported.
	w.PushImage(t, app)
	code, out, errOut = runCLI(t, "restore", reader, "--pin", app+"@"+d.String())
	if code != 3 || !strings.Contains(out, "FAILED") || !strings.Contains(out+errOut, "refused") {
		t.Errorf("pull-only restore: exit %d, want 3 with the refused write reported\n%s%s", code, out, errOut)
	}
	t.Logf("a pull-only restore reads:\n%s%s", out, errOut)

	// The same restore with a push grant: a pull token for reading, one
	// pull,push token for the repository it writes.
	ts.Reset()
	if code, out, errOut := runCLI(t, "restore", writer, "--pin", app+"@"+d.String()); code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	got := perScope(ts)
	if got["repository:org/app:pull"] != 1 || got["repository:org/app:push,pull"]+got["repository:org/app:pull,push"] != 1 {
		t.Errorf("restore's token requests per scope %v: want one pull and one push token", got)
	}
	fmt.Fprintln(testWriter{t}, "token requests of a restore:", got)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// BenchmarkTokenExchanges checks 100 refs in 4 repositories against the
// token-auth registry and reports the token requests per run and per
// repository: one pull token per repository, whatever the number of refs.
func BenchmarkTokenExchanges(b *testing.B) {
	ts := regtest.NewTokenService(b)
	repos := []string{"org/a", "org/b", "org/c", "org/d"}
	ts.AddUser("writer", "writer-Secret-1", []string{"pull", "push"}, repos...)
	reg := regtest.Distribution(b, regtest.WithTokenAuth(ts))
	w := regtest.As("writer", "writer-Secret-1")
	var images []string
	for i := range 100 {
		repo := repos[i%len(repos)]
		if i < len(repos) {
			w.PushImage(b, reg.Ref(repo+":0.9.0"))
		}
		images = append(images, reg.Ref(fmt.Sprintf("%s:build-%d", repo, i)))
	}
	args := []string{"check", "--registry-auth=" + reg.Host + "=writer:writer-Secret-1", "--images", strings.Join(images, ",")}
	ts.Reset()
	b.ResetTimer()
	for range b.N {
		if code := cli.Main(context.Background(), args, io.Discard, io.Discard, func(string) string { return "" }); code != 0 {
			b.Fatalf("check exit %d", code)
		}
	}
	b.StopTimer()
	n := float64(len(ts.Requests())) / float64(b.N)
	b.ReportMetric(n, "tokens/op")
	b.ReportMetric(n/float64(len(repos)), "tokens/repo")
}
