package audit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/report"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
)

// writeLedger writes a ledger created at created with ref → digest (and
// media type) entries, and returns its path.
func writeLedger(t testing.TB, created time.Time, images ...ledger.Image) string {
	t.Helper()
	l := &ledger.Ledger{Schema: ledger.Schema, Created: created, Images: images}
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ledger.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func del(t *testing.T, ref string) {
	t.Helper()
	d, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Delete(d); err != nil {
		t.Fatalf("deleting %s: %v", ref, err)
	}
}

var day = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

const indexType = "application/vnd.oci.image.index.v1+json"
const imageType = "application/vnd.oci.image.manifest.v1+json"

// TestAuditStates covers every state against the real distribution
// registry with deletes enabled (a cleanup policy pruning digests), with
// ledger files only (no GitHub), and proves no write request is made.
func TestAuditStates(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t, regtest.WithDelete())
	proxy := regtest.FaultProxy(t, reg.URL)
	ref := func(s string) string { return proxy.Ref(s) }
	direct := func(s string) string { return reg.Ref(s) }

	okD := regtest.PushImage(t, direct("org/app:1.0.0"))
	// drifted, restorable: the old image is still there under another tag.
	oldD := regtest.PushImage(t, direct("org/app:1.1.0"))
	regtest.Tag(t, direct("org/app:1.1.0"), direct("org/app:keep-1.1.0"))
	regtest.PushImage(t, direct("org/app:1.1.0"))
	// drifted, unrestorable: the old image was pruned.
	prunedD := regtest.PushImage(t, direct("org/app:1.2.0"))
	regtest.PushImage(t, direct("org/app:1.2.0"))
	del(t, direct("org/app@"+prunedD.String()))
	// missing, restorable: the tag never came back, its digest is there.
	// (the ledger records org/app:gone at okD)
	// drifted, unrestorable: an index whose platform manifest was pruned.
	idx := regtest.PushIndex(t, direct("org/app:2.0.0"), "linux/amd64", "linux/arm64")
	_, raw := regtest.Raw(t, direct("org/app:2.0.0"))
	var im struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	_ = json.Unmarshal(raw, &im)
	regtest.PushImage(t, direct("org/app:2.0.0"))
	del(t, direct("org/app@"+im.Manifests[1].Digest))

	path := writeLedger(t, day,
		ledger.Image{Ref: ref("org/app:1.0.0"), Digest: okD.String(), MediaType: imageType},
		ledger.Image{Ref: ref("org/app:1.1.0"), Digest: oldD.String(), MediaType: imageType},
		ledger.Image{Ref: ref("org/app:1.2.0"), Digest: prunedD.String(), MediaType: imageType},
		ledger.Image{Ref: ref("org/app:gone"), Digest: okD.String(), MediaType: imageType},
		ledger.Image{Ref: ref("org/app:2.0.0"), Digest: idx.String(), MediaType: indexType},
	)
	proxy.ResetCounts()
	r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4, Now: func() time.Time { return day }}}, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, x := range r.Refs {
		s := string(x.State)
		if x.Restorable != nil {
			s += map[bool]string{true: "/restorable", false: "/unrestorable"}[*x.Restorable]
		}
		got[x.Ref[strings.LastIndex(x.Ref, ":")+1:]] = s
	}
	want := map[string]string{"1.0.0": "ok", "1.1.0": "drifted/restorable", "1.2.0": "drifted/unrestorable", "gone": "missing/restorable", "2.0.0": "drifted/unrestorable"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if !r.Blocking() || !strings.HasPrefix(r.Summary, "DRIFT") {
		t.Errorf("summary %q, blocking %v", r.Summary, r.Blocking())
	}
	if len(r.Drift.Images) != 2 {
		t.Errorf("drift ledger %+v: want 1.1.0 and gone, the restorable ones", r.Drift.Images)
	}
	if _, err := ledger.Parse([]byte(r.Outputs.Drift)); err != nil {
		t.Errorf("drift output: %v", err)
	}
	c := proxy.Counts()
	if c.ManifestPut+c.ManifestDelete+c.Blob != 0 {
		t.Errorf("counts %+v: audit wrote, or read a blob", c)
	}
	// One HEAD per ref (5), one per not-ok digest of an image (3: 1.1.0,
	// 1.2.0, gone share nothing... gone shares okD), the index: one GET and
	// a HEAD per child.
	if c.ManifestHead > 5+3+2 || c.ManifestGet != 1 {
		t.Errorf("counts %+v", c)
	}
	t.Logf("requests: %+v", c)
}

// TestNewestRecordWinsAndMirrors: of two ledgers recording latest, the
// newer one is what the tag must be; one ledger recording a tag in two
// registries at different digests is inconsistent.
func TestNewestRecordWinsAndMirrors(t *testing.T) {
	t.Parallel()
	a, b := regtest.InProcess(t), regtest.InProcess(t)
	v1 := regtest.PushImage(t, a.Ref("org/app:1.0.0"))
	v2 := regtest.PushImage(t, a.Ref("org/app:2.0.0"))
	regtest.Tag(t, a.Ref("org/app:2.0.0"), a.Ref("org/app:latest"))
	mirror := regtest.PushImage(t, b.Ref("org/app:2.0.0"))
	older := writeLedger(t, day, ledger.Image{Ref: a.Ref("org/app:latest"), Digest: v1.String(), MediaType: imageType})
	newer := writeLedger(t, day.Add(24*time.Hour),
		ledger.Image{Ref: a.Ref("org/app:latest"), Digest: v2.String(), MediaType: imageType},
		ledger.Image{Ref: a.Ref("org/app:2.0.0"), Digest: v2.String(), MediaType: imageType},
		ledger.Image{Ref: b.Ref("org/app:2.0.0"), Digest: mirror.String(), MediaType: imageType})
	for _, order := range [][]string{{older, newer}, {newer, older}} {
		r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: order, Registry: fixture.Client(t), Run: command.Run{Jobs: 2}}, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range r.Refs {
			switch {
			case strings.HasSuffix(x.Ref, ":latest") && (x.State != OK || x.Recorded != v2.String()):
				t.Errorf("latest: %+v, want ok at the newer record", x)
			case strings.HasSuffix(x.Ref, ":2.0.0") && x.State != Inconsistent:
				t.Errorf("%s: %+v, want inconsistent", x.Ref, x)
			}
		}
		if !r.Blocking() {
			t.Error("an inconsistent mirror does not block")
		}
	}
}

// TestUnreadIsUnknown: a registry that cannot be read makes the ref
// unknown and the run exit 3, with the report of what could be read.
func TestUnreadIsUnknown(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	d := regtest.PushImage(t, srv.Ref("org/app:1.0.0"))
	proxy := regtest.FaultProxy(t, srv.URL, regtest.FailNth(regtest.KindManifestHead, 1, 500, "boom"), regtest.FailNth(regtest.KindManifestHead, 2, 500, "boom"))
	path := writeLedger(t, day, ledger.Image{Ref: proxy.Ref("org/app:1.0.0"), Digest: d.String(), MediaType: imageType})
	r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: fixture.Client(t, 2), Run: command.Run{Jobs: 1}}, false)
	if errkind.Of(err) != errkind.Remote || r == nil || r.Refs[0].State != Unknown || !strings.HasPrefix(r.Summary, "INCOMPLETE") {
		t.Errorf("err %v, report %+v", err, r)
	}
}

func TestAuditBadInput(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{{}, {FromReleases: true}, {FromRelease: "v1"}, {FromLedgers: []string{"x.json"}, Tags: []string{"["}}, {FromLedgers: []string{filepath.Join(t.TempDir(), "none.json")}}} {
		o.Registry = fixture.Client(t)
		if _, err := report.Run(context.Background(), NewPlan, o, false); errkind.Of(err) != errkind.BadInput {
			t.Errorf("%+v: err %v, want bad input", o, err)
		}
	}
}
