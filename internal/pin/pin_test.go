package pin

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gopkg.in/yaml.v3"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/golden"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
	"github.com/tagguard/tagguard/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// world is a registry with app 1.2.3 (also latest) and a worker 2.0.0, a
// ledger that records them, and a compose file with a recorded service,
// one through ${REGISTRY} interpolation, one the ledger does not know, one
// that builds and one already pinned.
type world struct {
	reg      *regtest.DistributionServer
	ledger   string
	compose  string
	app, wrk string // digests
	env      map[string]string
}

func newWorld(t *testing.T) world {
	t.Helper()
	reg := regtest.Distribution(t, regtest.WithDelete())
	app := regtest.PushImage(t, reg.Ref("org/app:1.2.3")).String()
	regtest.Tag(t, reg.Ref("org/app:1.2.3"), reg.Ref("org/app:latest"))
	wrk := regtest.PushImage(t, reg.Ref("org/worker:2.0.0")).String()
	regtest.PushImage(t, reg.Ref("org/other:1.0.0"))
	dir := t.TempDir()
	l := &ledger.Ledger{Schema: ledger.Schema, Created: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), Images: []ledger.Image{
		{Ref: reg.Ref("org/app:1.2.3"), Digest: app}, {Ref: reg.Ref("org/app:latest"), Digest: app}, {Ref: reg.Ref("org/worker:2.0.0"), Digest: wrk},
	}}
	b, _ := l.Marshal()
	lp := filepath.Join(dir, "ledger.json")
	os.WriteFile(lp, b, 0o644)
	compose := `services:
  web:
    image: ` + reg.Ref("org/app:1.2.3") + `
    ports: ["8080:80"]
  worker:
    image: ${REGISTRY}/org/worker:${WORKER_TAG:-2.0.0}
    environment:
      KEEP: me
  other:
    image: ` + reg.Ref("org/other:1.0.0") + `
  builder:
    build: .
`
	cp := filepath.Join(dir, "compose.yml")
	os.WriteFile(cp, []byte(compose), 0o644)
	return world{reg: reg, ledger: lp, compose: cp, app: app, wrk: wrk, env: map[string]string{"REGISTRY": reg.Host}}
}

func (w world) run(t *testing.T, o Options) (*Report, error) {
	t.Helper()
	o.FromLedgers, o.Registry, o.Jobs = []string{w.ledger}, fixture.Client(t), 4
	if o.Getenv == nil {
		o.Getenv = func(k string) string { return w.env[k] }
	}
	return report.Run(context.Background(), NewPlan, o, false)
}

func (w world) golden(t *testing.T, file string, got string) {
	t.Helper()
	golden.File(t, filepath.Join("testdata", "golden", file), golden.Stable([]byte(got), w.reg.Host, "registry.test", filepath.Dir(w.ledger), "<tmp>"), *update)
}

// TestComposeOverride: a compose override pins each service
// whose image the ledger records (by the tag as written, interpolated),
// carries image alone, leaves out and names what the ledger does not know,
// and is sorted, the same bytes every time.
func TestComposeOverride(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var warned []string
	r, err := w.run(t, Options{Compose: []string{w.compose}, Warn: func(s string) { warned = append(warned, s) }})
	if err != nil {
		t.Fatal(err)
	}
	w.golden(t, "compose.yml", r.Output)
	var doc map[string]map[string]map[string]any
	if err := yaml.Unmarshal([]byte(r.Output), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc["services"]) != 2 || doc["services"]["web"]["image"] != w.reg.Ref("org/app:1.2.3")+"@"+w.app ||
		doc["services"]["worker"]["image"] != w.reg.Ref("org/worker:2.0.0")+"@"+w.wrk || len(doc["services"]["web"]) != 1 {
		t.Errorf("override:\n%s", r.Output)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "service other") {
		t.Errorf("warned %q: want the unrecorded service named", warned)
	}
	// --resolve pins it at its tag's digest now.
	r, err = w.run(t, Options{Compose: []string{w.compose}, Resolve: true})
	if err != nil || !strings.Contains(r.Output, "other:") {
		t.Errorf("--resolve: %v\n%s", err, r.Output)
	}
	// An unset variable without a default: refused, nothing written.
	_, err = w.run(t, Options{Compose: []string{w.compose}, Getenv: func(string) string { return "" }})
	if errkind.Of(err) != errkind.BadInput || !strings.Contains(err.Error(), "${REGISTRY}") {
		t.Errorf("unset variable: %v", err)
	}
}

// TestKustomizeAndList: a kustomize images list (parsed back, with a
// mirror's newName) and a lock list, from the same ledger.
func TestKustomizeAndList(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r, err := w.run(t, Options{Format: Kustomize, Rename: []string{w.reg.Host + "/org=mirror.example.com/org"}})
	if err != nil {
		t.Fatal(err)
	}
	w.golden(t, "kustomization.yml", r.Output)
	var k struct {
		Images []struct {
			Name    string `yaml:"name"`
			NewName string `yaml:"newName"`
			Digest  string `yaml:"digest"`
		}
	}
	if err := yaml.Unmarshal([]byte(r.Output), &k); err != nil || len(k.Images) != 2 || k.Images[0].Digest != w.app || k.Images[0].NewName != "mirror.example.com/org/app" {
		t.Errorf("%v:\n%s", err, r.Output)
	}
	r, err = w.run(t, Options{Format: List})
	if err != nil {
		t.Fatal(err)
	}
	w.golden(t, "list.txt", r.Output)
	if n := strings.Count(r.Output, "\n"); n != 3 {
		t.Errorf("%d lines:\n%s", n, r.Output)
	}
}

// TestVerifyGatesADeploy: --verify exits 0 for a compose file pinned at
// the ledger's digests, 1 for a stale pin (naming the service and both
// digests) and for a pruned one, 3 when the registry cannot be read.
func TestVerifyGatesADeploy(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r, err := w.run(t, Options{Compose: []string{w.compose}})
	if err != nil {
		t.Fatal(err)
	}
	pinned := filepath.Join(filepath.Dir(w.compose), "compose.pinned.yml")
	os.WriteFile(pinned, []byte(r.Output), 0o644)
	if r, err := w.run(t, Options{Compose: []string{pinned}, Verify: true}); err != nil || r.Blocking() {
		t.Errorf("matching: %v %s", err, r.Summary)
	}
	old := regtest.PushImage(t, w.reg.Ref("org/app:1.2.2")).String()
	stale := filepath.Join(filepath.Dir(w.compose), "stale.yml")
	os.WriteFile(stale, []byte("services:\n  web:\n    image: "+w.reg.Ref("org/app:1.2.3")+"@"+old+"\n"), 0o644)
	r, err = w.run(t, Options{Compose: []string{stale}, Verify: true})
	if err != nil || !r.Blocking() || r.Services[0].State != Differs || !strings.Contains(r.Services[0].Reason, old) || !strings.Contains(r.Services[0].Reason, w.app) {
		t.Errorf("stale: %v %+v", err, r.Services)
	}
	d, _ := name.NewDigest(w.reg.Ref("org/worker@" + w.wrk))
	if err := remote.Delete(d); err != nil {
		t.Fatal(err)
	}
	r, err = w.run(t, Options{Compose: []string{pinned}, Verify: true})
	if err != nil || !r.Blocking() {
		t.Errorf("pruned: %v %s", err, r.Summary)
	}
	var text strings.Builder
	_ = r.WriteText(&text)
	w.golden(t, "verify-pruned.txt", text.String())
	gone := filepath.Join(filepath.Dir(w.compose), "gone.yml")
	os.WriteFile(gone, []byte("services:\n  web:\n    image: 127.0.0.1:1/org/app:1.2.3@"+w.app+"\n"), 0o644)
	l := &ledger.Ledger{Schema: ledger.Schema, Images: []ledger.Image{{Ref: "127.0.0.1:1/org/app:1.2.3", Digest: w.app}}}
	b, _ := l.Marshal()
	os.WriteFile(w.ledger+".unreachable", b, 0o644)
	_, err = report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{w.ledger + ".unreachable"}, Compose: []string{gone}, Verify: true, Registry: fixture.Client(t, 1), Run: command.Run{Jobs: 1}}, false)
	if errkind.ExitCode(err) != 3 {
		t.Errorf("unreachable registry: %v: want exit 3", err)
	}
	// One pin known to differ and one that cannot be read: the deploy is
	// due (exit 1), and the headline says what could not be checked.
	both := filepath.Join(filepath.Dir(w.compose), "both.yml")
	os.WriteFile(both, []byte("services:\n  web:\n    image: 127.0.0.1:1/org/app:1.2.3@"+w.app+"\n  stale:\n    image: "+w.reg.Ref("org/app:1.2.3")+"@"+old+"\n"), 0o644)
	l.Images = append(l.Images, ledger.Image{Ref: w.reg.Ref("org/app:1.2.3"), Digest: w.app})
	b, _ = l.Marshal()
	os.WriteFile(w.ledger+".both", b, 0o644)
	r, err = report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{w.ledger + ".both"}, Compose: []string{both}, Verify: true, Registry: fixture.Client(t, 1), Run: command.Run{Jobs: 1}}, false)
	if err != nil || !r.Blocking() || !strings.HasPrefix(r.Summary, "BLOCKED") || !strings.Contains(r.Summary, "(1 could not be checked)") {
		t.Errorf("one differs, one unreadable: %v, %s: want exit 1, naming the unreadable one", err, r.Summary)
	}
}

// TestPinningAMovedFloatingTagWarns: pinning latest from a ledger older
// than the tag's last move pins the ledger's digest and says that latest
// has moved since (the operator's rule: the tag may have advanced).
func TestPinningAMovedFloatingTagWarns(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	compose := filepath.Join(filepath.Dir(w.compose), "latest.yml")
	os.WriteFile(compose, []byte("services:\n  web:\n    image: "+w.reg.Ref("org/app:latest")+"\n"), 0o644)
	regtest.PushImage(t, w.reg.Ref("org/app:latest")) // a newer release moved it
	var warned []string
	r, err := w.run(t, Options{Compose: []string{compose}, Warn: func(s string) { warned = append(warned, s) }})
	if err != nil || !strings.Contains(r.Output, "@"+w.app) {
		t.Fatalf("%v\n%s", err, r.Output)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "has moved since") {
		t.Errorf("warned %q", warned)
	}
}

// TestDigestOnlyAndOtherImages: a service pinned by digest with no tag is
// never re-pinned to what the ledger records for latest, and an image the
// ledger records nothing of (a database) is not the gate's to judge; a
// recorded image that follows its tag, or a compose file with nothing the
// ledger records, does not pass the gate (the review's F1, F2).
func TestDigestOnlyAndOtherImages(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := filepath.Dir(w.compose)
	other := regtest.PushImage(t, w.reg.Ref("org/db:16")).String()
	write := func(file, body string) string {
		p := filepath.Join(dir, file)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	digestOnly := write("digest-only.yml", "services:\n  web:\n    image: "+w.reg.Ref("org/app@"+w.wrk)+"\n")
	r, err := w.run(t, Options{Compose: []string{digestOnly}, AllowPartial: true})
	if err != nil || strings.Contains(r.Output, "web:") {
		t.Errorf("a digest-only image was re-pinned: %v\n%s", err, r.Output)
	}
	// Without --allow-partial, an override that pins nothing is exit 1,
	// and nothing is written.
	if r, err := w.run(t, Options{Compose: []string{digestOnly}}); err != nil || r.Refused() == "" || r.Output != "" {
		t.Errorf("an override pinning nothing: %v, refused %q\n%s", err, r.Refused(), r.Output)
	}
	ok := write("ok.yml", "services:\n  web:\n    image: "+w.reg.Ref("org/app:1.2.3@"+w.app)+"\n  db:\n    image: "+w.reg.Ref("org/db:16@"+other)+"\n")
	if r, err := w.run(t, Options{Compose: []string{ok}, Verify: true}); err != nil || r.Blocking() {
		t.Errorf("a pinned release beside a pinned database: %v %s", err, r.Summary)
	}
	following := write("following.yml", "services:\n  web:\n    image: "+w.reg.Ref("org/app:1.2.3")+"\n")
	if r, _ := w.run(t, Options{Compose: []string{following}, Verify: true}); !r.Blocking() || r.Services[0].State != NotPinned ||
		!strings.Contains(r.Services[0].Fix, "docker compose -f "+following+" -f compose.pinned.yml up -d") {
		t.Errorf("a recorded image following its tag passed the gate, or its row says no way out: %s; fix %q", r.Summary, r.Services[0].Fix)
	}
	none := write("none.yml", "services:\n  db:\n    image: "+w.reg.Ref("org/db:16@"+other)+"\n")
	if r, _ := w.run(t, Options{Compose: []string{none}, Verify: true}); !r.Blocking() {
		t.Errorf("nothing the ledger records passed the gate: %s", r.Summary)
	}
}

// TestInterpolation: the compose-spec's forms, and nested or unset ones
// refused, never half-applied (the review's F4).
func TestInterpolation(t *testing.T) {
	t.Parallel()
	env := func(k string) string { return map[string]string{"REG": "ghcr.io", "TAG": "1.2.3"}[k] }
	for in, want := range map[string]string{
		"${REG}/org/app:${TAG}":       "ghcr.io/org/app:1.2.3",
		"$REG/org/app:${NOPE:-2.0.0}": "ghcr.io/org/app:2.0.0",
		"${REG}/org/app:${TAG:+9}":    "ghcr.io/org/app:9",
		"org/a$$b:1":                  "org/a$b:1",
		"${REG}/org/app:${TAG-9.9.9}": "ghcr.io/org/app:1.2.3",
	} {
		if got, err := interpolate(in, envOf(env, nil)); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	// With a lookup that tells "" from unset (the CLI's and the action's
	// own process), the forms resolve as compose resolves them.
	exact := envOf(nil, func(k string) (string, bool) {
		v, ok := map[string]string{"REG": "ghcr.io", "EMPTY": ""}[k]
		return v, ok
	})
	for in, want := range map[string]string{
		"${REG}/app:${UNSET-latest}": "ghcr.io/app:latest",
		"${REG}/app:1${EMPTY-x}":     "ghcr.io/app:1",
		"${REG}/app:1${UNSET+x}":     "ghcr.io/app:1",
		"${REG}/app:1${EMPTY+.1}":    "ghcr.io/app:1.1",
	} {
		if got, err := interpolate(in, exact); err != nil || got != want {
			t.Errorf("exact %q: %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := interpolate("app:${UNSET?say so}", exact); err == nil || !strings.Contains(err.Error(), "say so") {
		t.Errorf("exact ${UNSET?…}: %v", err)
	}
	// ${EMPTY-x}: compose keeps a variable set to "", pin cannot tell it
	// from an unset one here, so it refuses rather than pin "app:x".
	for _, in := range []string{"${NOPE}/app:1", "${A:-${REG}}/app:1", "${REG/app:1", "${NOPE:?set it}/app:1", "${REG}/app:${EMPTY-1.0}", "app:${EMPTY?x}", "app:1${EMPTY+-x}"} {
		if got, err := interpolate(in, envOf(env, nil)); err == nil {
			t.Errorf("%q: %q, accepted", in, got)
		}
	}
}

// TestKustomizeNames: Docker Hub images as manifests write them, the
// highest version's digest, and --rename with or without a slash (the
// review's F3); --output naming an input is refused (F11).
func TestKustomizeNames(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]string{"nginx:1.25": "nginx", "docker.io/bitnami/redis:7": "bitnami/redis", "ghcr.io/org/app:1": "ghcr.io/org/app"} {
		tag, _ := name.NewTag(ref)
		if got := kustomizeName(tag.Context()); got != want {
			t.Errorf("%s: %q, want %q", ref, got, want)
		}
	}
	l := &ledger.Ledger{Images: []ledger.Image{
		{Ref: "ghcr.io/org/app:1.3.0", Digest: "sha256:" + strings.Repeat("3", 64)},
		{Ref: "ghcr.io/org/app:1.10.0", Digest: "sha256:" + strings.Repeat("a", 64)},
		{Ref: "ghcr.io/org/app:1.9.0", Digest: "sha256:" + strings.Repeat("9", 64)},
	}}
	r := &Report{}
	var warned []string
	warn := func(s string) { warned = append(warned, s) }
	if err := kustomize(Options{Rename: []string{"ghcr.io/org/=mirror.example.com/org/"}, Warn: warn}, r, l); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Output, "newName: mirror.example.com/org/app") || !strings.Contains(r.Output, strings.Repeat("a", 64)) {
		t.Errorf("kustomize:\n%s", r.Output)
	}
	// The warning that one digest of several was kept, whatever the
	// ledger's order (the highest version first, here).
	l.Images = []ledger.Image{l.Images[1], l.Images[2], l.Images[0]} // 1.10.0, 1.9.0, 1.3.0
	if err := kustomize(Options{Warn: warn}, &Report{}, l); err != nil {
		t.Fatal(err)
	}
	if len(warned) != 2 || !strings.Contains(warned[1], "recorded at 3 digests") || !strings.Contains(warned[1], "app:1.10.0") {
		t.Errorf("warnings %q", warned)
	}
	dir := t.TempDir()
	compose := filepath.Join(dir, "compose.yml")
	os.WriteFile(compose, []byte("services: {}\n"), 0o644)
	if err := CheckOutput(Options{FromLedgers: []string{filepath.Join(dir, "l.json")}, Compose: []string{compose}, Output: compose}); errkind.Of(err) != errkind.BadInput {
		t.Errorf("--output naming the compose file: %v", err)
	}
}

// TestOptionsThatWouldBeIgnored: an option the chosen output never reads is
// refused rather than dropped without a word (the review's F5, F13):
// --output with --verify, --compose with a kustomize list or a lock list,
// --rename for anything but kustomize.
func TestOptionsThatWouldBeIgnored(t *testing.T) {
	t.Parallel()
	base := Options{FromLedgers: []string{"ledger.json"}}
	for name, o := range map[string]Options{
		"--output with --verify":       {Verify: true, Compose: []string{"c.yml"}, Output: "out.yml"},
		"--compose with kustomize":     {Format: Kustomize, Compose: []string{"c.yml"}},
		"--compose with list":          {Format: List, Compose: []string{"c.yml"}},
		"--rename with a compose file": {Compose: []string{"c.yml"}, Rename: []string{"a=b"}},
	} {
		o.FromLedgers = base.FromLedgers
		if err := Validate(o); errkind.Of(err) != errkind.BadInput {
			t.Errorf("%s: %v, want bad input", name, err)
		}
	}
	if err := Validate(Options{FromLedgers: base.FromLedgers, Format: Kustomize, Rename: []string{"ghcr.io/org=mirror.example.com/org"}}); err != nil {
		t.Errorf("kustomize with --rename: %v", err)
	}
}

// TestResolvedServicesAreReportedResolved: services the ledger does not
// record, pinned by --resolve at their tag's digest now, are reported
// resolved: the report kept pointers into a slice still growing, so the
// rows said "unrecorded" while the file was right.
func TestResolvedServicesAreReportedResolved(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var b strings.Builder
	b.WriteString("services:\n")
	for i := range 9 {
		fmt.Fprintf(&b, "  extra%d:\n    image: %s\n", i, w.reg.Ref("org/other:1.0.0"))
	}
	compose := filepath.Join(filepath.Dir(w.compose), "extra.yml")
	if err := os.WriteFile(compose, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := w.run(t, Options{Compose: []string{compose}, Resolve: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Services {
		if s.State != Resolved {
			t.Errorf("%s: %s %q, want resolved", s.Service, s.State, s.Reason)
		}
	}
}

// TestLeftOutRecordedRepositoryIsExit1: a service that runs a repository
// the ledger records, at a tag it does not, would run what that tag says:
// exit 1 and nothing written, unless --allow-partial, and the header says
// what the file pins and what it does not.
func TestLeftOutRecordedRepositoryIsExit1(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	compose := filepath.Join(filepath.Dir(w.compose), "partial.yml")
	os.WriteFile(compose, []byte("services:\n  web:\n    image: "+w.reg.Ref("org/app:1.2.3")+"\n  canary:\n    image: "+w.reg.Ref("org/app:9.9.9")+"\n"), 0o644)
	r, err := w.run(t, Options{Compose: []string{compose}})
	if err != nil || !strings.HasPrefix(r.Refused(), "1 service running a repository") || !strings.HasPrefix(r.Summary, "BLOCKED: 1 service running a repository") || r.Output != "" {
		t.Errorf("a recorded repository left out: %v, %s\n%s", err, r.Summary, r.Output)
	}
	r, err = w.run(t, Options{Compose: []string{compose}, AllowPartial: true})
	if err != nil || !strings.Contains(r.Output, "1 service by digest (web); not pinned, running what compose says: canary") {
		t.Errorf("--allow-partial: %v\n%s", err, r.Output)
	}
}

// TestKustomizeSpellings: kustomize matches names as a manifest spells
// them, so a Docker Hub repository gets an entry for each spelling; a
// --rename that matches nothing is refused rather than ignored.
func TestKustomizeSpellings(t *testing.T) {
	t.Parallel()
	for repo, want := range map[string][]string{
		"org/app":                {"org/app", "docker.io/org/app", "index.docker.io/org/app"},
		"nginx":                  {"nginx", "library/nginx", "docker.io/nginx", "docker.io/library/nginx", "index.docker.io/nginx", "index.docker.io/library/nginx"},
		"ghcr.io/org/app":        {"ghcr.io/org/app"},
		"127.0.0.1:5000/org/app": {"127.0.0.1:5000/org/app"},
	} {
		if got := spellings(repo); !slices.Equal(got, want) {
			t.Errorf("spellings(%s) = %q, want %q", repo, got, want)
		}
	}
	w := newWorld(t)
	if _, err := w.run(t, Options{Format: Kustomize, Rename: []string{"nosuch.example.com/org=mirror.example.com/org"}}); errkind.Of(err) != errkind.BadInput || !strings.Contains(err.Error(), "matches no repository") {
		t.Errorf("a --rename matching nothing: %v", err)
	}
}

// TestComposeAsComposeLoadsIt: services that get their image through
// extends: or include:, or sit behind a profile, are services compose
// runs: pinned, named, and held by --verify. Read by hand, they were not
// pinned, not named, and --verify passed while compose ran them by tag.
func TestComposeAsComposeLoadsIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := filepath.Dir(w.compose)
	os.WriteFile(filepath.Join(dir, "worker.yml"), []byte("services:\n  worker:\n    image: "+w.reg.Ref("org/worker:2.0.0")+"\n"), 0o644)
	main := filepath.Join(dir, "stack.yml")
	os.WriteFile(main, []byte(`include:
  - worker.yml
x-app: &app
  image: `+w.reg.Ref("org/app:1.2.3")+`
services:
  base:
    <<: *app
  web:
    extends: base
  admin:
    image: `+w.reg.Ref("org/app:1.2.3")+`
    profiles: [debug]
`), 0o644)
	r, err := w.run(t, Options{Compose: []string{main}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]State{}
	for _, s := range r.Services {
		got[s.Service] = s.State
	}
	for _, svc := range []string{"base", "web", "admin", "worker"} {
		if got[svc] != Pinned {
			t.Errorf("%s: %q, want pinned (%+v)", svc, got[svc], r.Services)
		}
	}
	// The override pins base only: --verify holds web (extends), admin
	// (a profile) and worker (include) to the gate.
	override := filepath.Join(dir, "partial-override.yml")
	os.WriteFile(override, []byte("services:\n  base:\n    image: "+w.reg.Ref("org/app:1.2.3")+"@"+w.app+"\n"), 0o644)
	v, _ := w.run(t, Options{Compose: []string{main, override}, Verify: true})
	if !v.Blocking() {
		t.Errorf("--verify passed while web, admin and worker follow tags: %s", v.Summary)
	}
}

// TestOverrideStaysMinimal: the override is YAML keyed by service, one
// image each: nothing from a path can end the header comment and start
// YAML of its own. (A service named "<<" is refused by compose's own
// loader, as docker compose refuses it.)
func TestOverrideStaysMinimal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := filepath.Join(filepath.Dir(w.compose), "a\nservices: {evil: {image: x}}\n#")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	compose := filepath.Join(dir, "compose.yml")
	os.WriteFile(compose, []byte("services:\n  web:\n    image: "+w.reg.Ref("org/app:1.2.3")+"\n"), 0o644)
	b, _ := os.ReadFile(w.ledger)
	evil := filepath.Join(dir, "ledger.json") // the header names it
	os.WriteFile(evil, b, 0o644)
	r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{evil}, Compose: []string{compose}, Registry: fixture.Client(t), Run: command.Run{Jobs: 2}}, false)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]map[string]string
	if err := yaml.Unmarshal([]byte(r.Output), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.Output)
	}
	if len(doc) != 1 || len(doc["services"]) != 1 || doc["services"]["web"]["image"] != w.reg.Ref("org/app:1.2.3")+"@"+w.app {
		t.Errorf("override:\n%s", r.Output)
	}
}
