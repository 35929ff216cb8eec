package promote

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/report"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestPromoteOneSourceKeepsItsBytes: one source is published as its exact
// bytes, never wrapped in a new index; every tag is written, read back and
// recorded; a re-run writes nothing.
func TestPromoteOneSourceKeepsItsBytes(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t)
	src := pushByDigest(t, reg.Host+"/org/app", "linux/amd64")
	digest := src[strings.Index(src, "@")+1:]
	ledgerPath := filepath.Join(t.TempDir(), "ledger.json")
	o := Options{Sources: []string{src}, Images: []string{reg.Ref("org/app:1.0.0"), reg.Ref("org/app:latest")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}, ReleaseOptions: record.ReleaseOptions{LedgerFile: ledgerPath}}
	r, err := report.Run(context.Background(), NewPlan, o, false)
	if err != nil {
		t.Fatalf("promote: %v\n%+v", err, r)
	}
	if r.Published.Digest != digest || r.Published.Built {
		t.Errorf("published %+v, want the source %s as it is", r.Published, digest)
	}
	for _, tg := range r.Targets {
		if tg.State != Written || tg.Now != digest {
			t.Errorf("target %+v", tg)
		}
	}
	for _, ref := range []string{"org/app:1.0.0", "org/app:latest"} {
		if d, _ := regtest.Raw(t, reg.Ref(ref)); d != digest {
			t.Errorf("%s at %s, want %s", ref, d, digest)
		}
	}
	b, err := os.ReadFile(ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Parse(b)
	if err != nil || len(l.Images) != 2 || l.Images[0].Digest != digest {
		t.Errorf("ledger %v %+v", err, l)
	}
	if r.Outputs.Digest != digest || !strings.Contains(r.Outputs.Pinned, "org/app@"+digest) {
		t.Errorf("outputs %+v", r.Outputs)
	}

	again, err := report.Run(context.Background(), NewPlan, o, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range again.Targets {
		if tg.State != Unchanged {
			t.Errorf("re-run: %+v, want unchanged", tg)
		}
	}
}

// TestPromoteBlockedWritesNothing: an immutable tag already at another
// digest blocks the run (exit 1) before anything is written, not even the
// built index.
func TestPromoteBlockedWritesNothing(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	regtest.PushImage(t, srv.Ref("org/app:1.0.0"))
	a := pushByDigest(t, srv.Host+"/org/app", "linux/amd64")
	b := pushByDigest(t, srv.Host+"/org/app", "linux/arm64")
	srv.ResetCounts()
	p, err := NewPlan(context.Background(), Options{Sources: []string{a, b}, Images: []string{srv.Ref("org/app:1.0.0"), srv.Ref("org/app:latest")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}})
	if err != nil {
		t.Fatal(err)
	}
	r := p.Report()
	if !r.Blocking() || !strings.Contains(r.Summary, "BLOCKED") {
		t.Fatalf("report %+v: want blocked", r.Summary)
	}
	// Reads only: the sources, their configs (one blob GET each), the tags.
	if c := srv.Counts(); c.ManifestPut != 0 || c.Blob != 2 {
		t.Errorf("counts %+v: a blocked promote wrote something", c)
	}
}

// TestPromoteRefusesBadInput: bad sources and targets are exit 2 before a
// request.
func TestPromoteRefusesBadInput(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{Images: []string{"ghcr.io/org/app:1.0.0"}},
		{Sources: []string{"ghcr.io/org/app:1.0.0"}, Images: []string{"ghcr.io/org/app:1.0.0"}},
		{Sources: []string{"ghcr.io/org/app@sha256:1234"}, Images: []string{"ghcr.io/org/app:1.0.0"}},
		{Sources: []string{"ghcr.io/org/app@sha512:" + strings.Repeat("a", 128)}, Images: []string{"ghcr.io/org/app:1.0.0"}},
		{Sources: []string{"ghcr.io/org/app@sha256:" + strings.Repeat("a", 64)}},
		{Sources: []string{"ghcr.io/org/app@sha256:" + strings.Repeat("a", 64)}, Images: []string{"ghcr.io/org/app"}},
		{Sources: []string{"ghcr.io/org/app@sha256:" + strings.Repeat("a", 64)}, Images: []string{"ghcr.io/org/app:1.0.0"}, ReleaseOptions: record.ReleaseOptions{ReleaseTag: "v1.0.0"}},
	} {
		o.Registry = fixture.Client(t)
		if _, err := NewPlan(context.Background(), o); errkind.Of(err) != errkind.BadInput {
			t.Errorf("%+v: err %v, want bad input", o, err)
		}
	}
}

// TestPromoteMissingSourceRefuses: a source that is not in its repository
// stops the run before the first write (exit 1), and the report, its
// blocked output and its headline say BLOCKED (the
// output said false).
func TestPromoteMissingSourceRefuses(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	gone := srv.Host + "/org/app@sha256:" + strings.Repeat("d", 64)
	p, err := NewPlan(context.Background(), Options{Sources: []string{gone}, Images: []string{srv.Ref("org/app:1.0.0")}, Registry: fixture.Client(t)})
	r := p.Report()
	if err != nil || !strings.Contains(r.Refused(), "not in") {
		t.Errorf("err %v, refused %q: want a pre-flight refusal", err, r.Refused())
	}
	var blocked string
	for _, o := range r.Show().Outputs {
		if o.Name == "blocked" {
			blocked = fmt.Sprint(o.Value)
		}
	}
	if !r.Blocking() || blocked != "true" || !strings.HasPrefix(r.Summary, "BLOCKED") {
		t.Errorf("blocking %v, blocked output %q, headline %q: want true, true, BLOCKED", r.Blocking(), blocked, r.Summary)
	}
}

// TestPromoteLostRace: an immutable tag pushed by someone else between the
// plan and the write is not overwritten: skipped, reported, exit 4.
func TestPromoteLostRace(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t)
	src := pushByDigest(t, reg.Host+"/org/app", "linux/amd64")
	o := Options{Sources: []string{src}, Images: []string{reg.Ref("org/app:2.0.0"), reg.Ref("org/app:edge")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 1}}
	p, err := NewPlan(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	once.Do(func() { regtest.PushImage(t, reg.Ref("org/app:2.0.0")) }) // the other run wins
	r, err := p.Apply(context.Background())
	if errkind.Of(err) != errkind.Partial {
		t.Fatalf("err %v, want partly applied (exit 4)", err)
	}
	states := map[string]State{}
	for _, tg := range r.Targets {
		states[tg.Ref[strings.LastIndex(tg.Ref, ":")+1:]] = tg.State
	}
	if states["2.0.0"] != LostRace || states["edge"] != Written {
		t.Errorf("states %v: want 2.0.0 lost-race (not overwritten), edge written", states)
	}
	if d, _ := regtest.Raw(t, reg.Ref("org/app:2.0.0")); strings.HasSuffix(src, d) {
		t.Errorf("2.0.0 was overwritten with the promoted digest")
	}
}

// TestPromoteIndexWithAPrunedChildRefuses: an index source whose platform
// manifest is gone is not whole: exit 1 before anything is written.
func TestPromoteIndexWithAPrunedChildRefuses(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t, regtest.WithDelete())
	src := pushIndexByDigest(t, reg.Host+"/org/app", "linux/amd64", "linux/arm64")
	_, raw := regtest.Raw(t, src)
	var idx struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	d, _ := name.NewDigest(reg.Host + "/org/app@" + idx.Manifests[0].Digest)
	if err := remote.Delete(d); err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(context.Background(), Options{Sources: []string{src}, Images: []string{reg.Ref("org/app:3.0.0")}, Registry: fixture.Client(t)})
	if err != nil || !strings.Contains(p.Report().Refused(), idx.Manifests[0].Digest) {
		t.Fatalf("err %v, want a pre-flight refusal naming the pruned child", err)
	}
}

// TestLostRaceStillRecordsWhatWasWritten: after a lost race the tags that
// were written are recorded (ledger file), and the run exits 4.
func TestLostRaceStillRecordsWhatWasWritten(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	src := pushByDigest(t, srv.Host+"/org/app", "linux/amd64")
	path := t.TempDir() + "/ledger.json"
	p, err := NewPlan(context.Background(), Options{Sources: []string{src}, Images: []string{srv.Ref("org/app:4.0.0"), srv.Ref("org/app:edge")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 1}, ReleaseOptions: record.ReleaseOptions{LedgerFile: path}})
	if err != nil {
		t.Fatal(err)
	}
	regtest.PushImage(t, srv.Ref("org/app:4.0.0"))
	r, err := p.Apply(context.Background())
	if errkind.Of(err) != errkind.Partial {
		t.Fatalf("err %v, want exit 4", err)
	}
	b, rerr := os.ReadFile(path)
	l, perr := ledger.Parse(b)
	if rerr != nil || perr != nil || len(l.Images) != 1 || !strings.HasSuffix(l.Images[0].Ref, ":edge") {
		t.Errorf("ledger file: %v %v %+v; report %+v", rerr, perr, l, r.Record)
	}
}

// TestPromoteOneSourceWithoutPlatform: an image whose config names no os
// or architecture (crane append, some scratch builds) is published alone
// as its exact bytes: it joins no index, so it needs no platform. Beside
// another source it would join one, and is refused (exit 2).
func TestPromoteOneSourceWithoutPlatform(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t)
	src := pushByDigest(t, reg.Host+"/org/app", "")
	o := Options{Sources: []string{src}, Images: []string{reg.Ref("org/app:1.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}}
	r, err := report.Run(context.Background(), NewPlan, o, false)
	if err != nil || r.Targets[0].State != Written {
		t.Fatalf("one platformless source: %v\n%+v", err, r)
	}
	o.Sources = append(o.Sources, pushByDigest(t, reg.Host+"/org/app", "linux/arm64"))
	o.Images = []string{reg.Ref("org/app:1.0.1")}
	if _, err := report.Run(context.Background(), NewPlan, o, false); errkind.ExitCode(err) != 2 || !strings.Contains(err.Error(), "cannot join an index") {
		t.Errorf("a platformless source beside another: %v, want exit 2", err)
	}
}
