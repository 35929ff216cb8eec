package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
)

// runWith runs the tagguard binary with args and extra environment.
func runWith(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append([]string{"TAGGUARD_TEST_AS_BINARY=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, o.String(), e.String()
}

// TestSealedLedgerEndToEnd is the release an attacker with write access
// cannot quietly rewrite: recorded into a draft (notes and asset),
// published under the immutable-releases setting, then its notes edited
// to point the tag at the attacker's digest. restore and pin refuse, audit
// reports the release tampered and audits the asset's record; a release
// recorded before the setting (notes only) says so.
func TestSealedLedgerEndToEnd(t *testing.T) {
	reg := regtest.Distribution(t, regtest.WithHtpasswd(regtest.User, regtest.Password))
	p := reg.Pusher()
	good := p.PushImage(t, reg.Ref("org/app:1.0.0"))
	evil := p.PushImage(t, reg.Ref("org/evil:1.0.0"))
	gh := ghtest.New(t, ghtest.WithToken("t0ken-for-tests"))
	gh.AddRepo("org", "app")
	gh.SetImmutableReleases("org", "app", true)
	env := []string{"GITHUB_API_URL=" + gh.URL, "GITHUB_TOKEN=t0ken-for-tests", "GITHUB_REPOSITORY=org/app",
		"TAGGUARD_REGISTRY_AUTH=" + reg.Host + "=" + regtest.User + ":" + regtest.Password}

	code, out, errOut := runWith(t, env, "record", "--images", reg.Ref("org/app:1.0.0"), "--release-tag", "v1.0.0", "--create-release", "--format", "json")
	if code != 0 {
		t.Fatalf("record: exit %d\n%s\n%s", code, out, errOut)
	}
	var rec struct {
		Outputs map[string]any `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatal(err)
	}
	assets := gh.Assets("org", "app", "v1.0.0")
	if len(assets) != 1 || assets[0].Name != ledger.AssetName {
		t.Fatalf("assets after record into a draft: %+v", assets)
	}
	if d := rec.Outputs["ledger-digest"]; d == "" || d == nil {
		t.Errorf("no ledger-digest output: %v", rec.Outputs)
	}
	gh.Publish("org", "app", "v1.0.0")

	code, out, _ = runWith(t, env, "restore", "--from-release", "v1.0.0", "--dry-run")
	if code != 0 || !strings.Contains(out, "(sealed: an immutable release's asset") {
		t.Errorf("restore from the sealed release: exit %d\n%s", code, out)
	}
	if n := gh.DownloadsWithCredentials(); n != 0 {
		t.Errorf("%d asset downloads carried the GitHub token to the storage host", n)
	}

	// Someone with write access edits the notes: the tag is to point at
	// their image.
	rel, _ := gh.Release("org", "app", "v1.0.0")
	body := strings.ReplaceAll(rel.Body, good.String(), evil.String())
	gh.EditBody("org", "app", "v1.0.0", body)

	code, out, errOut = runWith(t, env, "restore", "--from-release", "v1.0.0")
	if code != 1 || !strings.Contains(out, "BLOCKED") || !strings.Contains(out, "tampered: "+reg.Ref("org/app:1.0.0")+": the asset records "+good.String()+", the notes "+evil.String()) ||
		!strings.Contains(errOut, "tagguard restore: release v1.0.0: the notes' ledger and the asset "+ledger.AssetName+" disagree") {
		t.Errorf("restore from tampered notes: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runWith(t, env, "pin", "--from-release", "v1.0.0", "--format", "list")
	if code != 1 || strings.Contains(out, evil.String()) || !strings.Contains(errOut, "tampered") {
		t.Errorf("pin from tampered notes: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runWith(t, env, "audit", "--from-releases", "--format", "json")
	var aud struct {
		Verdict string `json:"verdict"`
		Body    struct {
			Tampered []struct {
				From string `json:"from"`
			} `json:"tampered"`
			Refs []struct {
				Recorded string `json:"recorded"`
				State    string `json:"state"`
			} `json:"refs"`
			Evidence map[string]int `json:"evidence"`
		} `json:"body"`
	}
	if err := json.Unmarshal([]byte(out), &aud); err != nil {
		t.Fatalf("audit JSON: %v\n%s\n%s", err, out, errOut)
	}
	if code != 1 || len(aud.Body.Tampered) != 1 || len(aud.Body.Refs) != 1 || aud.Body.Refs[0].Recorded != good.String() || aud.Body.Refs[0].State != "ok" || aud.Body.Evidence["sealed"] != 1 {
		t.Errorf("audit of the tampered release: exit %d, %+v\n%s", code, aud.Body, errOut)
	}

	// A release recorded before there was an asset: notes only, said so.
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v0.9.0", Body: "<!-- tagguard:ledger:begin -->\n```json\n{\"schema\":\"tagguard.ledger/v1\",\"images\":[{\"ref\":\"" + reg.Ref("org/app:1.0.0") + "\",\"digest\":\"" + good.String() + "\"}]}\n```\n<!-- tagguard:ledger:end -->\n"})
	code, out, _ = runWith(t, env, "restore", "--from-release", "v0.9.0", "--dry-run", "--format", "json")
	if code != 0 || !strings.Contains(out, `"ledgerSource": "notes only"`) || !strings.Contains(out, `"sealed": false`) {
		t.Errorf("restore from notes only: exit %d\n%s", code, out)
	}
}
