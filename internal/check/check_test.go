package check

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/report"

	"github.com/google/go-cmp/cmp"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/regtest"
)

func run(t *testing.T, o Options) *Report {
	t.Helper()
	if o.Registry == nil {
		o.Registry = fixture.Client(t)
	}
	if o.Jobs == 0 {
		o.Jobs = 8
	}
	r, err := report.Run(context.Background(), NewPlan, o, false)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return r
}

func verdicts(r *Report) map[string]Verdict {
	out := map[string]Verdict{}
	for _, ref := range r.Refs {
		out[ref.Tag] = ref.Verdict
	}
	for _, g := range r.Guards {
		out["guard:"+g.Name] = g.Verdict
	}
	return out
}

func TestImmutableTagExists(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	d := regtest.PushIndex(t, srv.Ref("org/app:0.15.0"))

	r := run(t, Options{Images: []string{srv.Ref("org/app:0.15.0"), srv.Ref("org/app:latest")}})
	if !r.Blocked {
		t.Fatalf("re-publishing 0.15.0 was not blocked: %+v", r)
	}
	got := r.Refs[0]
	if got.Verdict != Blocked || got.Current != d.String() || !strings.Contains(got.Reason, "0.15.0 already exists at "+d.String()) {
		t.Errorf("0.15.0: %+v; want blocked naming its digest %s", got, d)
	}
	// The fix says how to mark a re-run, and never hands over the digest
	// the tag holds: pasted, it would only silence the guard.
	if !strings.Contains(got.Fix, "pass --digest with the digest that build produced") || strings.Contains(got.Fix, d.String()) {
		t.Errorf("fix %q", got.Fix)
	}

	r = run(t, Options{Images: []string{srv.Ref("org/app:0.16.0"), srv.Ref("org/app:latest")}})
	if r.Blocked {
		t.Errorf("0.16.0 with latest blocked: %+v", r)
	}

	r = run(t, Options{Images: []string{srv.Ref("org/app:0.15.0")}, Digest: d.String()})
	if r.Blocked {
		t.Errorf("re-run with the same digest blocked: %+v", r)
	}
	r = run(t, Options{Images: []string{srv.Ref("org/app:0.15.0")}, Digest: "sha256:" + strings.Repeat("0", 64)})
	if !r.Blocked {
		t.Errorf("publish of other bits over 0.15.0 passed")
	}
}

func TestFloatingTagsOnlyMoveForward(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	for _, tag := range []string{"1.3.0", "1.4.8", "1.5.0-rc.1", "2.0.0"} {
		regtest.PushImage(t, srv.Ref("org/app:"+tag))
	}
	regtest.Tag(t, srv.Ref("org/app:2.0.0"), srv.Ref("org/app:latest"))

	r := run(t, Options{Images: []string{srv.Ref("org/app:1.4.9"), srv.Ref("org/app:latest")}})
	want := map[string]Verdict{"1.4.9": Pass, "latest": Blocked,
		"guard:immutable-tags": Pass, "guard:base-branch": Skipped, "guard:floating-tags": Blocked, "guard:version": Pass}
	if diff := cmp.Diff(want, verdicts(r)); diff != "" {
		t.Errorf("backport with latest (-want +got):\n%s", diff)
	}
	if reason := r.Refs[1].Reason; !strings.Contains(reason, "move back from 2.0.0 to 1.4.9") {
		t.Errorf("latest reason %q does not say why", reason)
	}

	r = run(t, Options{Images: []string{srv.Ref("org/app:1.4.9"), srv.Ref("org/app:1.4"), srv.Ref("org/app:1")}})
	if r.Blocked {
		t.Errorf("1.4.9 with 1.4 and 1 blocked although newest on its lines: %+v", r.Refs)
	}

	r = run(t, Options{Images: []string{srv.Ref("org/app:1.4.7"), srv.Ref("org/app:1.4")}})
	if v := verdicts(r)["1.4"]; v != Blocked {
		t.Errorf("1.4 moved back to 1.4.7: verdict %s", v)
	}
	r = run(t, Options{Images: []string{srv.Ref("org/app:1.4.9"), srv.Ref("org/app:2")}})
	if v := verdicts(r)["2"]; v != Blocked {
		t.Errorf("2 moved to 1.4.9: verdict %s", v)
	}
	r = run(t, Options{Images: []string{srv.Ref("org/app:3.0.0-rc.1"), srv.Ref("org/app:latest")}})
	if v := verdicts(r)["latest"]; v != Blocked {
		t.Errorf("latest moved to a prerelease: verdict %s", v)
	}
	r = run(t, Options{Images: []string{srv.Ref("org/app:latest")}})
	if v := verdicts(r)["latest"]; v != Warn || r.Blocked {
		t.Errorf("latest without a version: verdict %s, blocked %v; want a warning that passes", v, r.Blocked)
	}
	r = run(t, Options{Images: []string{srv.Ref("org/app:latest")}, Guards: Guards{Version: "v2.1.0"}})
	if v := verdicts(r)["latest"]; v != Pass {
		t.Errorf("latest with --version v2.1.0: verdict %s", v)
	}
}

func TestBaseBranch(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	images := []string{srv.Ref("org/app:0.15.1")}

	r := run(t, Options{Images: images, Guards: Guards{ExpectedBase: []string{"main"}, RequireBase: true, Base: "release/v0.15.x"}})
	g := r.Guards[1]
	if !r.Blocked || g.Verdict != Blocked || !strings.Contains(g.Detail, "release/v0.15.x") || !strings.Contains(g.Detail, "main") {
		t.Errorf("base guard %+v: want blocked naming both branches", g)
	}

	eventFile := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(eventFile, []byte(`{"pull_request":{"base":{"ref":"release/v0.15.x"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": eventFile, "GITHUB_REF": "refs/pull/9/merge"}
	ev, err := event.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	r = run(t, Options{Images: images, Run: command.Run{Event: ev}, Guards: Guards{ExpectedBase: []string{"main"}, RequireBase: true}})
	if g := r.Guards[1]; g.Verdict != Blocked || !strings.Contains(g.Detail, "release/v0.15.x") {
		t.Errorf("pull_request into release/v0.15.x: %+v", g)
	}

	r = run(t, Options{Images: images, Run: command.Run{Event: ev}, Guards: Guards{ExpectedBase: []string{"main", "release/*"}, RequireBase: true}})
	if g := r.Guards[1]; g.Verdict != Pass {
		t.Errorf("release/* glob: %+v", g)
	}

	r = run(t, Options{Images: images, Guards: Guards{ExpectedBase: []string{"main"}, RequireBase: true}})
	if g := r.Guards[1]; g.Verdict != Blocked || !strings.Contains(g.Detail, "cannot tell") {
		t.Errorf("unknown base with --require-base: %+v", g)
	}
	r = run(t, Options{Images: images, Guards: Guards{ExpectedBase: []string{"main"}, RequireBase: false}})
	if g := r.Guards[1]; g.Verdict != Warn || r.Blocked {
		t.Errorf("unknown base without --require-base: %+v", g)
	}

	tagEnv := map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v0.15.1", "GITHUB_SHA": strings.Repeat("a", 40)}
	tagEv, _ := event.Load(func(k string) string { return tagEnv[k] })
	r = run(t, Options{Images: images, Run: command.Run{Event: tagEv}, Guards: Guards{ExpectedBase: []string{"main"}, RequireBase: true}})
	if g := r.Guards[1]; g.Verdict != Blocked || !strings.Contains(g.Detail, "tag v0.15.1") {
		t.Errorf("tag push without a way to look it up: %+v", g)
	}
}

func TestVersionSanity(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	tagEnv := map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v1.2.3"}
	ev, _ := event.Load(func(k string) string { return tagEnv[k] })

	r := run(t, Options{Images: []string{srv.Ref("org/app:1.2.3")}, Run: command.Run{Event: ev}})
	if g := r.Guards[3]; g.Verdict != Pass || !strings.Contains(g.Detail, "agrees with git tag v1.2.3") {
		t.Errorf("matching git tag: %+v", g)
	}
	r = run(t, Options{Images: []string{srv.Ref("org/app:1.2.4")}, Run: command.Run{Event: ev}})
	if g := r.Guards[3]; g.Verdict != Blocked || !strings.Contains(g.Detail, "v1.2.3") {
		t.Errorf("git tag v1.2.3 publishing 1.2.4: %+v", g)
	}
	r = run(t, Options{Images: []string{srv.Ref("org/app:1.2.3"), srv.Ref("org/app:1.2.4")}})
	if g := r.Guards[3]; g.Verdict != Blocked || !strings.Contains(g.Detail, "several versions") {
		t.Errorf("two versions in one run: %+v", g)
	}
	r = run(t, Options{Images: []string{srv.Ref("org/app:1.2.3")}, Guards: Guards{Version: "1.2.4"}})
	if g := r.Guards[3]; g.Verdict != Blocked {
		t.Errorf("--version disagreeing with the tag: %+v", g)
	}
}

func TestBadInputTouchesNothing(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	good := srv.Ref("org/app:1.0.0")
	for name, o := range map[string]Options{
		"no images":        {},
		"no tag":           {Images: []string{srv.Ref("org/app")}},
		"digest ref":       {Images: []string{good + "@sha256:" + strings.Repeat("a", 64)}},
		"bad ref":          {Images: []string{"UPPER/Case:1.0.0"}},
		"bad digest":       {Images: []string{good}, Digest: "sha256:abc"},
		"uppercase digest": {Images: []string{good}, Digest: "sha256:" + strings.Repeat("A", 64)},
		"bad version":      {Images: []string{good}, Guards: Guards{Version: "1.2"}},
		"bad glob":         {Images: []string{good}, Guards: Guards{ImmutableTags: []string{"[v"}}},
		"bad base glob":    {Images: []string{good}, Guards: Guards{ExpectedBase: []string{"release/["}}},
	} {
		o.Registry = fixture.Client(t)
		_, err := report.Run(context.Background(), NewPlan, o, false)
		if errkind.Of(err) != errkind.BadInput {
			t.Errorf("%s: err %v (kind %d), want bad input", name, err, errkind.Of(err))
		}
	}
	if n := srv.Counts().Total(); n != 0 {
		t.Errorf("bad input made %d registry requests, want none", n)
	}
}

func TestRegistryWithoutDigestHeader(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t, regtest.WithoutDigestHeader())
	d := regtest.PushIndex(t, srv.Ref("org/app:0.15.0"))
	srv.ResetCounts()
	r := run(t, Options{Images: []string{srv.Ref("org/app:0.15.0")}})
	if r.Refs[0].Current != d.String() {
		t.Errorf("digest %q, want %s hashed from the body", r.Refs[0].Current, d)
	}
	if c := srv.Counts(); c.ManifestGet != 1 {
		t.Errorf("counts %+v: want one GET fallback", c)
	}
}

func TestUnreadableRegistryNeverPasses(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	proxy := regtest.FaultProxy(t, srv.URL, regtest.FailNth(regtest.KindManifestHead, 1, 500, "boom"),
		regtest.FailNth(regtest.KindManifestHead, 2, 500, "boom"), regtest.FailNth(regtest.KindManifestHead, 3, 500, "boom"))
	c, _ := registry.New(registry.Config{Attempts: 2, Backoff: time.Millisecond})
	r, err := report.Run(context.Background(), NewPlan, Options{Images: []string{proxy.Ref("org/app:1.0.0")}, Registry: c, Run: command.Run{Jobs: 1}}, false)
	if errkind.Of(err) != errkind.Remote {
		t.Fatalf("err %v, want a remote failure", err)
	}
	if r == nil || r.Refs[0].Verdict != Error || !strings.HasPrefix(r.Summary, "INCOMPLETE") || !r.Blocked || r.Refs[0].Now() != "unknown (not read)" {
		t.Errorf("report %+v: want the ref marked as unread", r)
	}
}

// TestUnreadIsNotAbsent: a ref the registry never
// answered for makes no claim about existing in the JSON report, and no
// summary line says anything may be published.
func TestUnreadIsNotAbsent(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	regtest.PushImage(t, srv.Ref("org/app:0.9.0"))
	proxy := regtest.FaultProxy(t, srv.URL, regtest.FailNth(regtest.KindManifestHead, 1, 500, "boom"),
		regtest.FailNth(regtest.KindManifestHead, 2, 500, "boom"))
	c, _ := registry.New(registry.Config{Attempts: 2, Backoff: time.Millisecond})
	r, err := report.Run(context.Background(), NewPlan, Options{Images: []string{proxy.Ref("org/app:1.0.0"), proxy.Ref("org/app:dev")}, Registry: c, Run: command.Run{Jobs: 1}}, false)
	if errkind.Of(err) != errkind.Remote || r == nil {
		t.Fatalf("err %v, want a remote failure with a report", err)
	}
	b, _ := json.Marshal(r)
	var doc struct {
		Refs []map[string]any `json:"refs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	unread, read := doc.Refs[0], doc.Refs[1]
	if _, claims := unread["exists"]; claims || unread["state"] != "unknown" {
		t.Errorf("unread ref in JSON: %v; want no exists claim and state unknown", unread)
	}
	if read["exists"] != false || read["state"] != "absent" {
		t.Errorf("read ref in JSON: %v; want exists false, state absent", read)
	}
	if strings.Contains(r.Summary, "may be published") || !strings.HasPrefix(r.Summary, "INCOMPLETE: 1 of 2 refs could not be read") {
		t.Errorf("summary %q", r.Summary)
	}
}

func TestRequestsPerRef(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	regtest.PushImage(t, srv.Ref("org/app:0.9.0"))
	var images []string
	for i := range 100 {
		images = append(images, srv.Ref(fmt.Sprintf("org/app:1.0.%d", i)))
	}
	srv.ResetCounts()
	run(t, Options{Images: images})
	c := srv.Counts()
	if c.ManifestHead != 100 || c.TagsList != 0 || c.ManifestGet != 0 || c.Ping > 1 || c.Total() != 100+c.Ping {
		t.Errorf("100 version tags: %+v; want 100 HEADs, at most one ping, nothing else", c)
	}
	srv.ResetCounts()
	run(t, Options{Images: append(images[:1:1], srv.Ref("org/app:latest"), srv.Ref("org/app:1"))})
	if c := srv.Counts(); c.TagsList != 1 || c.ManifestHead != 3 {
		t.Errorf("with floating tags: %+v; want one tag list and 3 HEADs", c)
	}
}
