package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
)

// runCLI runs the tagguard binary (this test binary) with args.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runWith(t, nil, args...)
}

// TestRecordRestoreEndToEnd is the rescue tagguard exists for, run as a user
// would against the real distribution registry with htpasswd auth: record,
// overwrite, dry run, restore, byte identity, idempotence.
func TestRecordRestoreEndToEnd(t *testing.T) {
	reg := regtest.Distribution(t, regtest.WithHtpasswd(regtest.User, regtest.Password))
	p := reg.Pusher()
	v015, latest := reg.Ref("org/app:0.15.0"), reg.Ref("org/app:latest")
	p.PushIndex(t, v015)
	p.Tag(t, v015, latest)
	tool := reg.Ref("org/tool:2.1.0")
	p.PushImage(t, tool, regtest.WithDockerMediaTypes())
	origIdx, origIdxRaw := p.Raw(t, v015)
	origTool, origToolRaw := p.Raw(t, tool)
	auth := "--registry-auth=" + reg.Host + "=" + regtest.User + ":" + regtest.Password
	ledgerFile := filepath.Join(t.TempDir(), "l.json")

	code, out, errOut := runCLI(t, "record", auth, "--images", v015+","+latest+","+tool, "--ledger-file", ledgerFile)
	if code != 0 {
		t.Fatalf("record exit %d\n%s\n%s", code, out, errOut)
	}
	b, _ := os.ReadFile(ledgerFile)
	l, err := ledger.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Images) != 3 || l.Images[0].Digest != origIdx || len(l.Images[0].Platforms) != 2 || l.Images[2].Digest != origTool {
		t.Fatalf("ledger %+v", l.Images)
	}

	code, out, _ = runCLI(t, "record", auth, "--images", v015, "--digest", origTool)
	if code != 1 || !strings.Contains(out, "overwritten after the push") {
		t.Errorf("record with another digest: exit %d\n%s", code, out)
	}

	// The unguarded overwrite.
	p.PushImage(t, v015)
	p.PushImage(t, latest)
	p.PushImage(t, tool)
	overwritten, _ := p.Raw(t, v015)

	code, out, _ = runCLI(t, "restore", auth, "--from-ledger", ledgerFile, "--dry-run")
	if code != 0 || !strings.Contains(out, "DRY RUN: 3 planned") {
		t.Fatalf("dry run exit %d\n%s", code, out)
	}
	if d, _ := p.Raw(t, v015); d != overwritten {
		t.Fatal("the dry run changed 0.15.0")
	}

	code, out, errOut = runCLI(t, "restore", auth, "--from-ledger", ledgerFile, "--format", "json")
	if code != 0 {
		t.Fatalf("restore exit %d\n%s\n%s", code, out, errOut)
	}
	for ref, want := range map[string][]byte{v015: origIdxRaw, latest: origIdxRaw, tool: origToolRaw} {
		if _, got := p.Raw(t, ref); !bytes.Equal(got, want) {
			t.Errorf("%s: manifest bytes differ from the original after restore", ref)
		}
	}

	code, out, _ = runCLI(t, "restore", auth, "--from-ledger", ledgerFile)
	if code != 0 || !strings.Contains(out, "OK: 3 unchanged") {
		t.Errorf("second restore exit %d\n%s", code, out)
	}

	absent := "sha256:" + strings.Repeat("0", 64)
	code, _, errOut = runCLI(t, "restore", auth, "--pin", v015+"@"+absent)
	if code != 1 || !strings.Contains(errOut, "pruned, or never pushed here") {
		t.Errorf("pin to an absent digest: exit %d\n%s", code, errOut)
	}
	if d, _ := p.Raw(t, v015); d != origIdx {
		t.Error("a refused restore changed 0.15.0")
	}
}
