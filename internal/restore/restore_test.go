package restore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/report"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/regtest"
)

func writeLedger(t *testing.T, images map[string]string) string {
	t.Helper()
	l := &ledger.Ledger{Schema: ledger.Schema}
	for ref, d := range images {
		l.Images = append(l.Images, ledger.Image{Ref: ref, Digest: d})
	}
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ledger.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRestoreByteForByte(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	idxRef, imgRef := srv.Ref("org/app:0.15.0"), srv.Ref("org/tool:1.0.0")
	regtest.PushIndex(t, idxRef)
	regtest.PushImage(t, imgRef, regtest.WithDockerMediaTypes())
	idxDigest, idxBytes := regtest.Raw(t, idxRef)
	imgDigest, imgBytes := regtest.Raw(t, imgRef)
	path := writeLedger(t, map[string]string{idxRef: idxDigest, imgRef: imgDigest})

	// The unguarded overwrite.
	regtest.PushIndex(t, idxRef, "linux/amd64")
	regtest.PushImage(t, imgRef)
	overwritten, _ := regtest.Raw(t, idxRef)

	dry, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: fixture.Client(t)}, true)
	if err != nil || !strings.HasPrefix(dry.Summary, "DRY RUN: 2 planned") {
		t.Fatalf("dry run: %v %+v", err, dry)
	}
	if d, _ := regtest.Raw(t, idxRef); d != overwritten {
		t.Fatalf("dry run changed %s", idxRef)
	}

	r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: fixture.Client(t)}, false)
	if err != nil {
		t.Fatalf("Run: %v\n%+v", err, r)
	}
	for ref, want := range map[string][]byte{idxRef: idxBytes, imgRef: imgBytes} {
		if _, got := regtest.Raw(t, ref); !bytes.Equal(got, want) {
			t.Errorf("%s: manifest bytes differ after restore", ref)
		}
	}
	if len(r.Outputs.Changed) != 2 || r.Outputs.Changed[0].From == "" {
		t.Errorf("changed %+v", r.Outputs.Changed)
	}

	again, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: fixture.Client(t)}, false)
	if err != nil || again.Summary != "OK: 2 unchanged" || len(again.Outputs.Changed) != 0 {
		t.Errorf("second run: %v %+v", err, again)
	}
}

func TestPreflightMissingDigestTouchesNothing(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	targets := map[string]string{}
	var refs []string
	for i := range 5 {
		ref := srv.Ref(fmt.Sprintf("org/app:1.0.%d", i))
		refs = append(refs, ref)
		targets[ref] = regtest.PushImage(t, ref).String()
		regtest.PushImage(t, ref) // overwritten since
	}
	absent := "sha256:" + strings.Repeat("d", 64)
	targets[refs[3]] = absent
	before := map[string]string{}
	for _, ref := range refs {
		before[ref], _ = regtest.Raw(t, ref)
	}
	srv.ResetCounts()
	r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{writeLedger(t, targets)}, Registry: fixture.Client(t)}, false)
	if err != nil || !strings.Contains(r.Refused(), absent) || !strings.Contains(r.Refused(), "pruned, or never pushed here") {
		t.Fatalf("err %v, refused %q: want a pre-flight refusal naming %s", err, r.Refused(), absent)
	}
	if !strings.HasPrefix(r.Summary, "BLOCKED") { // the verdict of exit 1
		t.Errorf("summary %q", r.Summary)
	}
	if c := srv.Counts(); c.ManifestPut != 0 {
		t.Errorf("%d PUTs after a failed pre-flight", c.ManifestPut)
	}
	for _, ref := range refs {
		if d, _ := regtest.Raw(t, ref); d != before[ref] {
			t.Errorf("%s changed", ref)
		}
	}

	r, err = report.Run(context.Background(), NewPlan, Options{Pins: []string{refs[0] + "@" + absent}, Registry: fixture.Client(t)}, false)
	if err != nil || r.Refused() == "" {
		t.Errorf("--pin to an absent digest: %v, refused %q", err, r.Refused())
	}
}

// registryUnderTest is a registry a test can seed and read, with the
// credentials tagguard needs for it (none for the in-process one).
type registryUnderTest struct {
	host  string
	push  regtest.Pusher
	creds []registry.Credential
}

// TestPartialFailureThenRerun puts a fault-injecting proxy in front of the
// in-process registry and of the real distribution registry with htpasswd:
// the third PUT fails, the other tags are restored, the run exits 4 naming
// the failed one, and a re-run finishes the job.
func TestPartialFailureThenRerun(t *testing.T) {
	t.Parallel()
	inproc := regtest.InProcess(t)
	dist := regtest.Distribution(t, regtest.WithHtpasswd(regtest.User, regtest.Password))
	for name, reg := range map[string]registryUnderTest{
		"in-process":   {host: inproc.Host},
		"distribution": {host: dist.Host, push: dist.Pusher()},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			partialFailure(t, reg)
		})
	}
}

func partialFailure(t *testing.T, reg registryUnderTest) {
	targets := map[string]string{}
	for i := range 5 {
		ref := reg.host + fmt.Sprintf("/org/app:2.0.%d", i)
		targets[ref] = reg.push.PushImage(t, ref).String()
		reg.push.PushImage(t, ref)
	}
	proxy := regtest.FaultProxy(t, reg.host, regtest.FailManifestPut(3, 500, "disk full"), regtest.FailManifestPut(4, 500, "disk full"))
	viaProxy := map[string]string{}
	for ref, d := range targets {
		viaProxy[strings.Replace(ref, reg.host, proxy.Host, 1)] = d
	}
	path := writeLedger(t, viaProxy)
	var creds []registry.Credential
	if reg.push.Auth != nil {
		creds = []registry.Credential{{Host: proxy.Host, User: regtest.User, Secret: regtest.Password}}
	}
	client := func() *registry.Client {
		c, err := registry.New(registry.Config{Backoff: time.Millisecond, Attempts: 2, Credentials: creds})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	dry, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: client(), Run: command.Run{Jobs: 1}}, true)
	if err != nil || proxy.Counts().ManifestPut != 0 {
		t.Fatalf("dry run: %v, %d PUTs", err, proxy.Counts().ManifestPut)
	}
	if len(dry.Outputs.Changed) != 0 {
		t.Errorf("dry run reports changes %+v", dry.Outputs.Changed)
	}

	// Attempts 2: the third PUT fails twice (two faults), the others pass.
	r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: client(), Run: command.Run{Jobs: 1}}, false)
	if errkind.Of(err) != errkind.Partial {
		t.Fatalf("err %v, want partly applied (exit 4)", err)
	}
	states := map[State]int{}
	for _, tag := range r.Tags {
		states[tag.State]++
		if tag.State == Failed && !strings.Contains(tag.Reason, "500") {
			t.Errorf("failed tag reason %q", tag.Reason)
		}
	}
	if states[Restored] != 4 || states[Failed] != 1 || !strings.HasPrefix(r.Summary, "PARTLY APPLIED") {
		t.Errorf("states %v summary %q", states, r.Summary)
	}

	r, err = report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: client(), Run: command.Run{Jobs: 1}}, false)
	if err != nil || r.Summary != "OK: 1 restored, 4 unchanged" {
		t.Errorf("re-run: %v %q", err, r.Summary)
	}
	for ref, d := range targets {
		if got, _ := reg.push.Raw(t, ref); got != d {
			t.Errorf("%s at %s, want %s", ref, got, d)
		}
	}
}

func TestUndoRoundTrip(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	a, b := srv.Ref("org/app:3.0.0"), srv.Ref("org/app:latest")
	old := regtest.PushIndex(t, a)
	regtest.Tag(t, a, b)
	regtest.PushImage(t, a)
	regtest.PushImage(t, b)
	now := map[string]string{}
	now[a], _ = regtest.Raw(t, a)
	now[b], _ = regtest.Raw(t, b)

	clock := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	r, err := report.Run(context.Background(), NewPlan, Options{Pins: []string{a + "@" + old.String(), b + "@" + old.String()}, Registry: fixture.Client(t),
		Run: command.Run{Now: func() time.Time { return clock }}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := ledger.Parse([]byte(r.Outputs.Undo)); err != nil || !l.Created.Equal(clock) {
		t.Errorf("undo ledger %v: want it created by the run's clock, %s", err, clock)
	}
	undo := filepath.Join(t.TempDir(), "undo.json")
	os.WriteFile(undo, []byte(r.Outputs.Undo), 0o600)
	if _, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{undo}, Registry: fixture.Client(t)}, false); err != nil {
		t.Fatal(err)
	}
	for ref, want := range now {
		if got, _ := regtest.Raw(t, ref); got != want {
			t.Errorf("after undo %s at %s, want %s", ref, got, want)
		}
	}
}

func TestRegistryEnforcedImmutability(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	ref := srv.Ref("org/app:4.0.0")
	d := regtest.PushImage(t, ref)
	regtest.PushImage(t, ref)
	proxy := regtest.FaultProxy(t, srv.Host, regtest.FailManifestPut(1, 412, `{"errors":[{"code":"PRECONDITION","message":"immutable tag"}]}`))
	r, err := report.Run(context.Background(), NewPlan, Options{Pins: []string{strings.Replace(ref, srv.Host, proxy.Host, 1) + "@" + d.String()}, Registry: fixture.Client(t)}, false)
	if errkind.Of(err) != errkind.Remote {
		t.Fatalf("err %v", err)
	}
	if reason := r.Tags[0].Reason; !strings.Contains(reason, "enforces tag immutability") || !strings.Contains(reason, "lift the registry's immutability rule") {
		t.Errorf("reason %q does not explain the registry's refusal", reason)
	}
}

// cancelAfterPut cancels the run after its first write, as SIGINT would.
type cancelAfterPut struct {
	*registry.Client
	cancel context.CancelFunc
}

func (c cancelAfterPut) Put(ctx context.Context, tag name.Tag, m registry.Manifest) error {
	err := c.Client.Put(ctx, tag, m)
	c.cancel()
	return err
}

func TestInterruptStopsNewWrites(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	var pins []string
	for i := range 4 {
		ref := srv.Ref(fmt.Sprintf("org/app:5.0.%d", i))
		pins = append(pins, ref+"@"+regtest.PushImage(t, ref).String())
		regtest.PushImage(t, ref)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r, err := report.Run(ctx, NewPlan, Options{Pins: pins, Run: command.Run{Jobs: 1}, Registry: cancelAfterPut{fixture.Client(t), cancel}}, false)
	if errkind.Of(err) != errkind.Partial {
		t.Fatalf("err %v", err)
	}
	states := map[State]int{}
	for _, tag := range r.Tags {
		states[tag.State]++
	}
	if states[Restored] != 1 || states[Skipped] != 3 {
		t.Errorf("states %v: want the write in flight finished and verified, the rest not started", states)
	}
	if r, err = report.Run(context.Background(), NewPlan, Options{Pins: pins, Registry: fixture.Client(t)}, false); err != nil || r.Summary != "OK: 3 restored, 1 unchanged" {
		t.Errorf("re-run: %v %q", err, r.Summary)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	good := srv.Ref("org/app:1.0.0") + "@sha256:" + strings.Repeat("a", 64)
	badLedger := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(badLedger, []byte(`{"schema":"tagguard.ledger/v2","images":[]}`), 0o600)
	for name, o := range map[string]Options{
		"no source":          {},
		"two sources":        {Pins: []string{good}, FromLedgers: []string{"x.json"}},
		"pin without digest": {Pins: []string{srv.Ref("org/app:1.0.0")}},
		"pin short digest":   {Pins: []string{srv.Ref("org/app:1.0.0") + "@sha256:abc"}},
		"pin without tag":    {Pins: []string{srv.Ref("org/app") + "@sha256:" + strings.Repeat("a", 64)}},
		"conflicting pins":   {Pins: []string{good, srv.Ref("org/app:1.0.0") + "@sha256:" + strings.Repeat("b", 64)}},
		"missing file":       {FromLedgers: []string{filepath.Join(t.TempDir(), "none.json")}},
		"newer schema":       {FromLedgers: []string{badLedger}},
		"bad glob":           {Pins: []string{good}, Tags: []string{"["}},
		"glob matches none":  {Pins: []string{good}, Tags: []string{"9.*"}},
		"release, no repo":   {FromRelease: "v1.0.0"},
	} {
		o.Registry = fixture.Client(t)
		if _, err := report.Run(context.Background(), NewPlan, o, false); errkind.Of(err) != errkind.BadInput {
			t.Errorf("%s: %v, want bad input", name, err)
		}
	}
	if n := srv.Counts().Total(); n != 0 {
		t.Errorf("bad input made %d requests", n)
	}
}

// TestPreflightPrunedPlatform: an index whose platform manifest was pruned
// would fail half-way at the PUT; the pre-flight refuses it first.
func TestPreflightPrunedPlatform(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	ref := srv.Ref("org/app:6.0.0")
	idx := regtest.PushIndex(t, ref)
	_, rawIdx := regtest.Raw(t, ref)
	regtest.PushImage(t, ref)
	var m struct {
		Manifests []struct{ Digest string }
	}
	if err := json.Unmarshal(rawIdx, &m); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/v2/org/app/manifests/"+m.Manifests[1].Digest, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("pruning a platform: %v %v", err, resp)
	}
	srv.ResetCounts()
	r, err := report.Run(context.Background(), NewPlan, Options{Pins: []string{ref + "@" + idx.String()}, Registry: fixture.Client(t)}, false)
	if err != nil || !strings.Contains(r.Refused(), "linux/arm64 "+m.Manifests[1].Digest) {
		t.Fatalf("err %v, refused %q: want the pruned platform named", err, r.Refused())
	}
	if srv.Counts().ManifestPut != 0 || r.Tags[0].State != Skipped || !strings.Contains(r.Tags[0].Reason, "rebuild from source") {
		t.Errorf("counts %+v, tag %+v", srv.Counts(), r.Tags[0])
	}
}

// lostAnswer applies every write, then reports it failed: the registry's
// answer was lost on the way back.
type lostAnswer struct{ *registry.Client }

func (c lostAnswer) Put(ctx context.Context, tag name.Tag, m registry.Manifest) error {
	if err := c.Client.Put(ctx, tag, m); err != nil {
		return err
	}
	return errors.New("502 Bad Gateway")
}

// slowWrites takes its time over every write.
type slowWrites struct {
	*registry.Client
	delay time.Duration
}

func (c slowWrites) Put(ctx context.Context, tag name.Tag, m registry.Manifest) error {
	time.Sleep(c.delay)
	return c.Client.Put(ctx, tag, m)
}

func TestStateIsReadBackNotAssumed(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	var pins []string
	for i := range 3 {
		ref := srv.Ref(fmt.Sprintf("org/app:7.0.%d", i))
		pins = append(pins, ref+"@"+regtest.PushImage(t, ref).String())
		regtest.PushImage(t, ref)
	}
	r, err := report.Run(context.Background(), NewPlan, Options{Pins: pins, Registry: lostAnswer{fixture.Client(t)}}, false)
	if err != nil || r.Summary != "OK: 3 restored" || len(r.Outputs.Changed) != 3 || !strings.Contains(r.Tags[0].Reason, "answer to the write was lost") {
		t.Errorf("lost answers: %v %q %+v", err, r.Summary, r.Tags[0])
	}
	if !strings.Contains(r.Outputs.Undo, r.Tags[0].From) {
		t.Errorf("undo lacks the previous digests: %s", r.Outputs.Undo)
	}
}

// TestWriteGraceStartsAtInterrupt: without an interrupt, slow writes take
// as long as they take (within --timeout); the grace is not a bound on
// the write phase.
func TestWriteGraceStartsAtInterrupt(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	var pins []string
	for i := range 3 {
		ref := srv.Ref(fmt.Sprintf("org/app:8.0.%d", i))
		pins = append(pins, ref+"@"+regtest.PushImage(t, ref).String())
		regtest.PushImage(t, ref)
	}
	r, err := report.Run(context.Background(), NewPlan, Options{Pins: pins, Run: command.Run{Jobs: 1}, WriteGrace: 20 * time.Millisecond,
		Registry: slowWrites{fixture.Client(t), 50 * time.Millisecond}}, false)
	if err != nil || r.Summary != "OK: 3 restored" {
		t.Errorf("%v %q", err, r.Summary)
	}
}

// TestPlanNamesWhereEachDigestWasRecorded: a ledger that names, per image,
// where its digest was recorded (audit's drift ledger) has restore's plan
// say so, in text and JSON.
func TestPlanNamesWhereEachDigestWasRecorded(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	ref := srv.Ref("org/app:1.0.0")
	d := regtest.PushImage(t, ref).String()
	regtest.PushImage(t, ref)
	l := &ledger.Ledger{Schema: ledger.Schema, Images: []ledger.Image{{Ref: ref, Digest: d, RecordedIn: "release v1.0.0"}}}
	b, _ := l.Marshal()
	p := filepath.Join(t.TempDir(), "drift.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{p}, Registry: fixture.Client(t)}, true)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	_ = r.WriteText(&text)
	if r.Tags[0].RecordedIn != "release v1.0.0" || !strings.Contains(text.String(), "as recorded in release v1.0.0") {
		t.Errorf("%+v\n%s", r.Tags, text.String())
	}
}

// TestTagsGlobPicksARepository: a ledger recording a release in its
// registry and in a mirror whose copy was pruned: the pre-flight refuses
// the whole restore, and --tags with a glob holding / restores the
// repository that still has its digest, alone.
func TestTagsGlobPicksARepository(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	good := srv.Ref("org/app:1.0.0")
	target := regtest.PushImage(t, good).String()
	regtest.PushImage(t, good) // overwritten since
	mirror := srv.Ref("mirror/app:1.0.0")
	ledgerPath := writeLedger(t, map[string]string{good: target, mirror: "sha256:" + strings.Repeat("e", 64)})
	if r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{ledgerPath}, Registry: fixture.Client(t)}, false); err != nil || !strings.HasPrefix(r.Refused(), "pre-flight") {
		t.Fatalf("the pruned mirror: %v, want the pre-flight's refusal", err)
	}
	r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{ledgerPath}, Tags: []string{srv.Host + "/org/app:*"}, Registry: fixture.Client(t)}, false)
	if err != nil || len(r.Tags) != 1 || r.Tags[0].State != Restored {
		t.Fatalf("--tags %s/org/app:*: %v %+v", srv.Host, err, r.Tags)
	}
	if d, _ := regtest.Raw(t, good); d != target {
		t.Errorf("%s at %s, want %s", good, d, target)
	}
}

// TestSeveralLedgers: a release of two images (app, worker) has two
// ledgers; restore takes both at once.
func TestSeveralLedgers(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	app, worker := srv.Ref("org/app:1.0.0"), srv.Ref("org/worker:1.0.0")
	appD, workerD := regtest.PushImage(t, app).String(), regtest.PushImage(t, worker).String()
	regtest.PushImage(t, app)
	regtest.PushImage(t, worker) // both overwritten since
	r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{writeLedger(t, map[string]string{app: appD}), writeLedger(t, map[string]string{worker: workerD})}, Registry: fixture.Client(t)}, false)
	if err != nil || len(r.Tags) != 2 || !strings.HasPrefix(r.Source, "2 ledgers") {
		t.Fatalf("two ledgers: %v; %s; %+v", err, r.Source, r.Tags)
	}
	for ref, want := range map[string]string{app: appD, worker: workerD} {
		if d, _ := regtest.Raw(t, ref); d != want {
			t.Errorf("%s at %s, want %s", ref, d, want)
		}
	}
}
