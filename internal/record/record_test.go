package record

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

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }

// platformsOf reads an index independently of tagguard, with
// go-containerregistry alone, as crane would.
func platformsOf(t *testing.T, ref string) []ledger.Platform {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []ledger.Platform
	for _, d := range m.Manifests {
		out = append(out, ledger.Platform{Platform: d.Platform.String(), Digest: d.Digest.String()})
	}
	return out
}

func TestRecordLedgerFile(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	idx := regtest.PushIndex(t, srv.Ref("org/app:0.15.0"))
	regtest.Tag(t, srv.Ref("org/app:0.15.0"), srv.Ref("org/app:latest"))
	img := regtest.PushImage(t, srv.Ref("org/tool:1.0.0"))
	path := filepath.Join(t.TempDir(), "l.json")

	r, err := report.Run(context.Background(), NewPlan, Options{
		Images:         []string{srv.Ref("org/app:0.15.0"), srv.Ref("org/app:latest"), srv.Ref("org/tool:1.0.0")},
		Registry:       fixture.Client(t),
		Run:            command.Run{Now: fixedNow, Event: event.Context{Repository: "org/app", SHA: strings.Repeat("a", 40), Ref: "refs/tags/v0.15.0"}},
		ReleaseOptions: ReleaseOptions{LedgerFile: path},
	}, false)
	if err != nil || r.Blocked {
		t.Fatalf("Run: %v, %+v", err, r)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	plats := platformsOf(t, srv.Ref("org/app:0.15.0"))
	want := []ledger.Image{
		{Ref: srv.Ref("org/app:0.15.0"), Digest: idx.String(), MediaType: "application/vnd.oci.image.index.v1+json", Platforms: plats},
		{Ref: srv.Ref("org/app:latest"), Digest: idx.String(), MediaType: "application/vnd.oci.image.index.v1+json", Platforms: plats},
		{Ref: srv.Ref("org/tool:1.0.0"), Digest: img.String(), MediaType: "application/vnd.oci.image.manifest.v1+json"},
	}
	if diff := cmp.Diff(want, l.Images); diff != "" {
		t.Errorf("ledger images (-want +got):\n%s", diff)
	}
	if len(plats) != 2 {
		t.Errorf("platforms %v, want 2", plats)
	}
	if l.Source.Ref != "refs/tags/v0.15.0" || !l.Created.Equal(fixedNow()) {
		t.Errorf("source %+v created %v", l.Source, l.Created)
	}
	if r.Outputs.Digest != "" {
		t.Errorf("digest output %q, want empty: the refs differ", r.Outputs.Digest)
	}
	wantPinned := srv.Ref("org/app") + "@" + idx.String() + "\n" + srv.Ref("org/tool") + "@" + img.String()
	if r.Outputs.Pinned != wantPinned {
		t.Errorf("pinned %q, want %q", r.Outputs.Pinned, wantPinned)
	}
	var digests map[string]string
	if err := json.Unmarshal([]byte(mustJSON(t, r.Outputs.Digests)), &digests); err != nil || digests[srv.Ref("org/tool:1.0.0")] != img.String() {
		t.Errorf("digests %v", digests)
	}
	if string(b) != r.Outputs.Ledger+"\n" {
		t.Errorf("ledger file and ledger output differ")
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRecordTagMovedAfterPush(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	pushed := regtest.PushIndex(t, srv.Ref("org/app:0.15.0"))
	regtest.PushImage(t, srv.Ref("org/app:0.15.0")) // someone else's push wins the race
	path := filepath.Join(t.TempDir(), "l.json")
	r, err := report.Run(context.Background(), NewPlan, Options{
		Images: []string{srv.Ref("org/app:0.15.0")}, Digest: pushed.String(), Registry: fixture.Client(t), Run: command.Run{Now: fixedNow}, ReleaseOptions: ReleaseOptions{LedgerFile: path},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Blocked || r.Images[0].Verdict != Moved || !strings.Contains(r.Images[0].Reason, "overwritten after the push") {
		t.Errorf("report %+v: want the moved tag named", r.Images)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("ledger file written although the record was refused")
	}

	r, _ = report.Run(context.Background(), NewPlan, Options{Images: []string{srv.Ref("org/app:9.9.9")}, Registry: fixture.Client(t)}, false)
	if !r.Blocked || r.Images[0].Verdict != Missing {
		t.Errorf("absent tag: %+v", r.Images)
	}
}

func TestRecordFromMetadata(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	d := regtest.PushIndex(t, srv.Ref("org/app:1.0.0"))
	regtest.Tag(t, srv.Ref("org/app:1.0.0"), srv.Ref("org/app:1"))
	md := `{"buildx.build.ref":"builder/builder0/x","containerimage.descriptor":{"mediaType":"application/vnd.oci.image.index.v1+json"},` +
		`"containerimage.digest":"` + d.String() + `","image.name":"` + srv.Ref("org/app:1.0.0") + "," + srv.Ref("org/app:1") + `"}`
	r, err := report.Run(context.Background(), NewPlan, Options{Metadata: md, Registry: fixture.Client(t), Run: command.Run{Now: fixedNow}}, false)
	if err != nil || r.Blocked {
		t.Fatalf("%v %+v", err, r)
	}
	if r.Outputs.Digest != d.String() || len(r.Images) != 2 || r.Source != "image.name of --metadata" {
		t.Errorf("report %+v", r)
	}
}

func TestRecordBadInput(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	good := srv.Ref("org/app:1.0.0")
	for name, o := range map[string]Options{
		"nothing":           {},
		"bad ref":           {Images: []string{"a b:c"}},
		"bad digest":        {Images: []string{good}, Digest: "sha256:nope"},
		"bad metadata":      {Images: []string{good}, Metadata: "{"},
		"digests disagree":  {Images: []string{good}, Digest: "sha256:" + strings.Repeat("a", 64), Metadata: `{"containerimage.digest":"sha256:` + strings.Repeat("b", 64) + `"}`},
		"release, no repo":  {Images: []string{good}, ReleaseOptions: ReleaseOptions{ReleaseTag: "v1.0.0"}},
		"release, no token": {Images: []string{good}, ReleaseOptions: ReleaseOptions{ReleaseTag: "v1.0.0"}, Run: command.Run{Event: event.Context{Repository: "org/app"}}},
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

func TestRecordReadsEachIndexOnce(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	regtest.PushIndex(t, srv.Ref("org/app:1.0.0"))
	var images []string
	for _, tag := range []string{"1.0", "1", "latest"} {
		regtest.Tag(t, srv.Ref("org/app:1.0.0"), srv.Ref("org/app:"+tag))
		images = append(images, srv.Ref("org/app:"+tag))
	}
	srv.ResetCounts()
	if _, err := report.Run(context.Background(), NewPlan, Options{Images: append(images, srv.Ref("org/app:1.0.0")), Registry: fixture.Client(t)}, false); err != nil {
		t.Fatal(err)
	}
	if c := srv.Counts(); c.ManifestHead != 4 || c.ManifestGet != 1 {
		t.Errorf("counts %+v: want 4 HEADs and one GET of the index", c)
	}
}

// TestRecordOddRunContext: values GitHub would never set are left out of
// the source, said so, and the ledger is still written whole.
func TestRecordOddRunContext(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	d := regtest.PushImage(t, srv.Ref("org/app:3.0.0"))
	path := filepath.Join(t.TempDir(), "l.json")
	r, err := report.Run(context.Background(), NewPlan, Options{Images: []string{srv.Ref("org/app:3.0.0")}, Registry: fixture.Client(t),
		Run: command.Run{Event: event.Context{SHA: "ABC123", Repository: "org/app name", Ref: "refs/heads/main"}}, ReleaseOptions: ReleaseOptions{LedgerFile: path}}, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	l, err := ledger.Parse(b)
	if err != nil || len(l.Images) != 1 || l.Images[0].Digest != d.String() || l.Source.Ref != "refs/heads/main" || l.Source.SHA != "" {
		t.Fatalf("ledger %+v, %v", l, err)
	}
	if len(r.Notes) != 2 || !strings.Contains(r.Notes[0], "GITHUB_REPOSITORY") {
		t.Errorf("notes %q", r.Notes)
	}
}

// TestRecordKeepsWhatIsAttached: record stores, per
// image, what was attached when it recorded (an optional ledger field), and
// its report says it.
func TestRecordKeepsWhatIsAttached(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t)
	d := regtest.PushImage(t, reg.Ref("org/app:1.0.0")).String()
	regtest.SignLegacy(t, reg.Ref("org/app@"+d), ".sig")
	regtest.Refer(t, reg.Ref("org/app@"+d), regtest.SPDX)
	path := filepath.Join(t.TempDir(), "ledger.json")
	r, err := report.Run(context.Background(), NewPlan, Options{Images: []string{reg.Ref("org/app:1.0.0")}, Referrers: true,
		ReleaseOptions: ReleaseOptions{LedgerFile: path}, Registry: fixture.Client(t), Run: command.Run{Now: fixedNow}}, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	l, err := ledger.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	want := &ledger.Attached{Signatures: []string{"legacy tag"}, SBOMs: []string{"fallback tag"}}
	if !l.Images[0].Attached.Equal(want) {
		t.Errorf("ledger attached %+v, want %+v", l.Images[0].Attached, want)
	}
	var text strings.Builder
	_ = r.WriteText(&text)
	if !strings.Contains(text.String(), "attached: signed (legacy tag); SBOM (fallback tag)") {
		t.Errorf("report:\n%s", text.String())
	}
}
