package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/cli"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/options"
	"github.com/tagguard/tagguard/internal/regtest"
)

// malformed is a bad value for every option of the table: the test below
// fails for an option that has none, so a new option cannot skip it.
// References get each of the shapes the strict grammar refuses.
func malformed(reg, dir string) map[string][]string {
	digest := "@sha256:" + strings.Repeat("a", 64)
	return map[string][]string{
		options.DryRun:           {"maybe"},
		options.Format:           {"yaml"},
		options.Jobs:             {"0", "many"},
		options.Timeout:          {"0s", "soon"},
		options.InsecureRegistry: {"http://" + reg, reg + "/org"},
		options.RegistryAuth:     {"no-equals-sign", reg + "=user-without-secret"},
		options.GitHubToken:      {"two words"},
		options.Images:           {"host//app:1.0.0", "host:1:2/app:1.0.0", reg + "/Org/App:1.0.0", reg + "/org/app", "169.254.169.254/app:1.0.0"},
		options.Sources:          {"host//app" + digest, "host:1:2/app" + digest, reg + "/org/app:1.0.0", reg + "/org/app@sha256:abc", "169.254.169.254/app" + digest},
		options.Digest:           {"sha256:abc", "sha512:" + strings.Repeat("a", 128)},
		options.Version:          {"1.2", "banana"},
		options.ImmutableTags:    {"["},
		options.MutableTags:      {"["},
		options.ExpectedBase:     {"["},
		options.Base:             {"feature branch", "a..b"},
		options.RequireBase:      {"maybe"},
		options.Metadata:         {"{not json"},
		options.ReleaseTag:       {"v1 0", "v1..0"},
		options.LedgerFile:       {filepath.Join(dir, "missing", "ledger.json"), dir},
		options.CreateRelease:    {"maybe"},
		options.FromReleases:     {"maybe"},
		options.FromRelease:      {"v1 0"},
		options.FromLedger:       {filepath.Join(dir, "missing.json")},
		options.Pin:              {reg + "/org/app:1.0.0", "host//app:1.0.0" + digest},
		options.Tags:             {"["},
		options.AllowBackward:    {"maybe"},
		options.Referrers:        {"maybe"},
		options.ComposeFile:      {filepath.Join(dir, "missing-compose.yml"), filepath.Join(dir, "bad-compose.yml")},
		options.Output:           {filepath.Join(dir, "missing", "out.yml"), dir},
		options.Rename:           {"no-equals", "=new"},
		options.Resolve:          {"maybe"},
		options.AllowPartial:     {"maybe"},
		options.Verify:           {"maybe"},
		options.Verbose:          {"maybe"},
		options.Quiet:            {"maybe"},
		options.DriftFile:        {filepath.Join(dir, "missing", "drift.json"), dir},
		options.UndoFile:         {filepath.Join(dir, "missing", "undo.json"), dir},
		options.ImagesFile:       {filepath.Join(dir, "missing.txt"), dir, filepath.Join(dir, "bad-images.txt"), "/dev/zero"},
		options.SourcesFile:      {filepath.Join(dir, "missing.txt"), dir, filepath.Join(dir, "bad-sources.txt")},
		// The gate's options: each alone is malformed (an identity with no
		// issuer, an issuer with no identity, a root or no-log switch with
		// no gate to apply to), and a key that is not one.
		options.SignatureKey:         {filepath.Join(dir, "missing.pub"), filepath.Join(dir, "bad-images.txt"), "/dev/zero"},
		options.CertIdentity:         {"https://github.com/org/app/.github/workflows/release.yml@refs/heads/main"},
		options.CertIdentityRegexp:   {"(", "^https://github.com/org/", "github.com/org/"},
		options.CertOIDCIssuer:       {"https://token.actions.githubusercontent.com"},
		options.CertOIDCIssuerRegexp: {"(", "^https://token"},
		options.TrustedRoot:          {filepath.Join(dir, "trusted_root.json")},
		options.InsecureIgnoreTlog:   {"maybe", "true"},
	}
}

// TestEveryOptionIsCheckedBeforeTheFirstRequest: each command gets, for each option it takes, a
// malformed value (on top of a valid run), and must exit 2 with no
// registry and no GitHub request. promote --immutable-tags '[' used to
// make three registry requests and exit 3; --sources host//app@… was
// promoted.
func TestEveryOptionIsCheckedBeforeTheFirstRequest(t *testing.T) {
	srv := regtest.InProcess(t)
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	reg := strings.Split(srv.Ref("x"), "/")[0]
	dir := t.TempDir()
	ledgerPath := filepath.Join(dir, "ledger.json")
	if err := os.WriteFile(ledgerPath, []byte(`{"schema":"tagguard.ledger/v1","created":"2026-11-20T10:00:00Z","images":[{"ref":"`+reg+`/org/app:1.0.0","digest":"sha256:`+strings.Repeat("b", 64)+`"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	for name, body := range map[string]string{
		"bad-images.txt":  "# the release's tags\n" + reg + "/org/app:1.0.0\nhost//app:1.0.0\n",
		"bad-sources.txt": reg + "/org/app:1.0.0\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bad-compose.yml"), []byte("services:\n  app:\n    image: ${UNSET_VARIABLE_FOR_TEST}/app:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_API_URL": gh.URL, "GITHUB_TOKEN": "t0ken", "GITHUB_REPOSITORY": "org/app", "HOME": dir}
	getenv := func(k string) string { return env[k] }
	valid := map[string][]string{
		options.Check:   {"--images", reg + "/org/app:1.0.0"},
		options.Record:  {"--images", reg + "/org/app:1.0.0"},
		options.Promote: {"--sources", reg + "/org/app@sha256:" + strings.Repeat("c", 64), "--images", reg + "/org/app:1.0.0"},
		options.Restore: {"--pin", reg + "/org/app:1.0.0@sha256:" + strings.Repeat("d", 64)},
		options.Audit:   {"--from-ledger", ledgerPath},
		options.PinCmd:  {"--from-ledger", ledgerPath, "--format", "list"},
	}
	// The options that name a restore's one source replace --pin.
	sources := map[string]bool{options.FromRelease: true, options.FromLedger: true, options.Pin: true}
	bad := malformed(reg, dir)
	for _, cmd := range options.Commands {
		var stdout, stderr bytes.Buffer
		if code := cli.Main(context.Background(), append([]string{cmd}, valid[cmd]...), &stdout, &stderr, getenv); code == 2 {
			t.Fatalf("%s with valid options: exit 2\n%s%s", cmd, stdout.String(), stderr.String())
		}
	}
	for _, cmd := range options.Commands {
		for _, o := range options.For(cmd) {
			values, ok := bad[o.Name]
			if !ok {
				t.Errorf("option %s has no malformed value in this test: add one", o.Name)
				continue
			}
			for _, v := range values {
				args := []string{cmd}
				if !(cmd == options.Restore && sources[o.Name]) {
					args = append(args, valid[cmd]...)
				}
				args = append(args, "--"+o.Name+"="+v)
				before, ghBefore := srv.Counts().Total(), len(gh.Requests())
				var stdout, stderr bytes.Buffer
				code := cli.Main(context.Background(), args, &stdout, &stderr, getenv)
				if code != 2 {
					t.Errorf("%s --%s=%q: exit %d, want 2\n%s%s", cmd, o.Name, v, code, stdout.String(), stderr.String())
				}
				if n, g := srv.Counts().Total()-before, len(gh.Requests())-ghBefore; n+g > 0 {
					t.Errorf("%s --%s=%q: %d registry and %d GitHub requests before refusing", cmd, o.Name, v, n, g)
				}
			}
		}
	}
}
