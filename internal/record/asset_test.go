package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/ledger/load"
	"github.com/tagguard/tagguard/internal/regtest"
	"github.com/tagguard/tagguard/internal/report"
)

// assetRig is a registry with two images and a fake GitHub whose
// repository has immutable releases on.
type assetRig struct {
	srv *regtest.Server
	gh  *ghtest.Server
	ev  event.Context
}

func newAssetRig(t *testing.T) *assetRig {
	t.Helper()
	srv := regtest.InProcess(t)
	regtest.PushImage(t, srv.Ref("org/app:1.0.0"))
	regtest.PushImage(t, srv.Ref("org/worker:1.0.0"))
	gh := ghtest.New(t, ghtest.WithToken("t0ken-for-tests"))
	gh.AddRepo("org", "app")
	gh.SetImmutableReleases("org", "app", true)
	return &assetRig{srv: srv, gh: gh, ev: event.Context{Repository: "org/app", Ref: "refs/tags/v1.0.0", SHA: strings.Repeat("b", 40)}}
}

func (a *assetRig) record(t *testing.T, create bool, images ...string) (*Report, error) {
	t.Helper()
	return report.Run(context.Background(), NewPlan, Options{Images: images, Run: command.Run{Event: a.ev, Now: fixedNow}, Registry: fixture.Client(t), GitHub: fixture.GitHub(t, a.gh, "t0ken-for-tests"), ReleaseOptions: ReleaseOptions{CreateRelease: create}}, false)
}

// mutableReleaseWithAsset adds a mutable release v1.0.0 whose asset
// (under name) holds another step's ledger: org/other:1.0.0.
func (a *assetRig) mutableReleaseWithAsset(t *testing.T, name string) {
	t.Helper()
	a.gh.SetImmutableReleases("org", "app", false)
	a.gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Body: "notes"})
	other := &ledger.Ledger{Schema: ledger.Schema, Images: []ledger.Image{{Ref: a.srv.Ref("org/other:1.0.0"), Digest: "sha256:" + strings.Repeat("c", 64)}}}
	b, err := other.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	a.gh.AddAsset("org", "app", "v1.0.0", ghtest.Asset{Name: name, Data: b})
}

// asset is the ledger asset's bytes and the ledger the notes hold.
func (a *assetRig) asset(t *testing.T) ([]byte, *ledger.Ledger) {
	t.Helper()
	rel, _ := a.gh.Release("org", "app", "v1.0.0")
	notes, _, err := ledger.Extract(rel.Body)
	if err != nil && !errors.Is(err, ledger.ErrInAsset) {
		t.Fatal(err)
	}
	for _, x := range a.gh.Assets("org", "app", "v1.0.0") {
		if x.Name == AssetName {
			return x.Data, notes
		}
	}
	return nil, notes
}

// TestLedgerAssetDraftThenPublish: record into a draft uploads the ledger
// asset with the notes' ledger, byte for byte what --ledger-file holds; a
// second record merges into both; once published (sealed), a record whose
// asset is already right changes nothing and one that would change it is
// refused before anything is written.
func TestLedgerAssetDraftThenPublish(t *testing.T) {
	t.Parallel()
	a := newAssetRig(t)
	r, err := a.record(t, true, a.srv.Ref("org/app:1.0.0"))
	if err != nil {
		t.Fatalf("record into a new draft: %v", err)
	}
	data, notes := a.asset(t)
	want, _ := notes.Marshal()
	if !bytes.Equal(data, want) || r.Release.Asset != "uploaded "+AssetName {
		t.Fatalf("asset %q (%s), want the notes' ledger %q", data, r.Release.Asset, want)
	}
	if r.Outputs.Ledger+"\n" != string(data) || r.Outputs.LedgerDigest != LedgerDigest(data) {
		t.Errorf("the ledger output and the asset differ, or ledger-digest %s is not the asset's", r.Outputs.LedgerDigest)
	}

	r, err = a.record(t, false, a.srv.Ref("org/worker:1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	data, notes = a.asset(t)
	if want, _ := notes.Marshal(); !bytes.Equal(data, want) || len(notes.Images) != 2 || !strings.HasPrefix(r.Release.Asset, "replaced") {
		t.Fatalf("after a second record: asset %q (%s), notes %d images", data, r.Release.Asset, len(notes.Images))
	}

	a.gh.Publish("org", "app", "v1.0.0")
	r, err = a.record(t, false, a.srv.Ref("org/worker:1.0.0"))
	if err != nil || !strings.HasPrefix(r.Release.Asset, "unchanged") {
		t.Fatalf("re-record on the sealed release: %v, %s", err, r.Release.Asset)
	}

	regtest.PushImage(t, a.srv.Ref("org/app:1.0.1"))
	r, err = a.record(t, false, a.srv.Ref("org/app:1.0.1"))
	if err != nil || !strings.Contains(r.Refused(), "GitHub refuses to replace it") || !strings.HasPrefix(r.Summary, "BLOCKED") {
		t.Fatalf("a new ref on a sealed release: %v (%s)", err, r.Summary)
	}
	// Refused before the notes are touched: notes written now would
	// disagree with the sealed asset for good.
	if _, notes := a.asset(t); len(notes.Images) != 2 {
		t.Errorf("the notes were written against the sealed asset: %d images", len(notes.Images))
	}
}

// TestLedgerAssetRefusedOnAPublishedImmutableRelease: a release published
// immutable before tagguard ran takes no asset: the notes are written,
// the refusal says to record while the release is a draft, exit 1, and
// no ledger-digest names an asset that is not there.
func TestLedgerAssetRefusedOnAPublishedImmutableRelease(t *testing.T) {
	t.Parallel()
	a := newAssetRig(t)
	a.gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Body: "notes"})
	r, err := a.record(t, false, a.srv.Ref("org/app:1.0.0"))
	if err != nil || !strings.Contains(r.Refused(), "record while the release is a draft") {
		t.Fatalf("record into a published immutable release: %v, refused %q", err, r.Refused())
	}
	if data, notes := a.asset(t); data != nil || notes == nil || len(notes.Images) != 1 {
		t.Errorf("asset %q, notes %v: want no asset and the notes written", data, notes)
	}
	if !strings.Contains(r.Release.Asset, "notes only") {
		t.Errorf("asset action %q", r.Release.Asset)
	}
}

// TestLedgerAssetOfAnotherWriterIsMergedNotReplaced: a mutable release
// whose asset holds entries the notes lack (another step's) keeps them.
func TestLedgerAssetOfAnotherWriterIsMergedNotReplaced(t *testing.T) {
	t.Parallel()
	a := newAssetRig(t)
	a.mutableReleaseWithAsset(t, AssetName)
	if _, err := a.record(t, false, a.srv.Ref("org/app:1.0.0")); err != nil {
		t.Fatal(err)
	}
	data, _ := a.asset(t)
	l, err := ledger.Parse(data)
	if err != nil || len(l.Images) != 2 {
		t.Fatalf("merged asset: %v, %+v", err, l)
	}
}

// TestNotesAtGitHubsLimit: GitHub refuses notes over 125,000 characters
// (ghtest as GitHub: 422). Notes of exactly 125,000 characters with the
// ledger in them are written as they are; one character more and the
// ledger goes to the asset alone, the notes pointing to it.
func TestNotesAtGitHubsLimit(t *testing.T) {
	t.Parallel()
	l := &ledger.Ledger{Schema: ledger.Schema, Images: []ledger.Image{{Ref: "ghcr.io/org/app:1.0.0", Digest: "sha256:" + strings.Repeat("a", 64)}}}
	in := input{releaseTag: "v1.0.0"}
	probe, err := upsert(in, strings.Repeat("x", 1000)+"\n\n", l, &ReleaseResult{})
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", 1000+maxBody-utf8.RuneCountInString(probe)) + "\n\n" // the section follows a blank line
	out, err := upsert(in, pad, l, &ReleaseResult{})
	if err != nil || len([]rune(out)) != maxBody {
		t.Fatalf("notes of exactly %d characters: %d, %v", maxBody, len([]rune(out)), err)
	}
	gh := ghtest.New(t)
	rel := gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Draft: true})
	c := fixture.GitHub(t, gh, "")
	if _, err := c.EditReleaseBody(context.Background(), "org", "app", rel.ID, out); err != nil {
		t.Errorf("GitHub refused %d characters: %v", maxBody, err)
	}
	if _, err := c.EditReleaseBody(context.Background(), "org", "app", rel.ID, out+"x"); err == nil {
		t.Errorf("GitHub took %d characters", maxBody+1)
	}
	if _, err := upsert(in, "x"+pad, l, &ReleaseResult{}); !errors.Is(err, errTooLong) {
		t.Errorf("one character more: %v, want errTooLong", err)
	}
}

// TestLedgerTooLargeForTheNotes: a release of 1,000 refs has a ledger
// section far over GitHub's limit. The notes keep the table as far as it
// fits and point to the asset, which holds every ref; restore and audit
// read it from there, and a re-run changes nothing.
func TestLedgerTooLargeForTheNotes(t *testing.T) {
	t.Parallel()
	a := newAssetRig(t)
	var images []string
	for i := range 1000 {
		ref := a.srv.Ref(fmt.Sprintf("org/app:build-%03d-with-a-long-tag-name-for-the-table", i))
		regtest.Tag(t, a.srv.Ref("org/app:1.0.0"), ref)
		images = append(images, ref)
	}
	r, err := a.record(t, true, images...)
	if err != nil {
		t.Fatalf("record of 1,000 refs: %v (%+v)", err, r.Release)
	}
	rel, _ := a.gh.Release("org", "app", "v1.0.0")
	if n := len([]rune(rel.Body)); n > maxBody || !ledger.PointsToAsset(rel.Body) || !strings.Contains(rel.Body, "more in `"+AssetName+"`") {
		t.Fatalf("notes of %d characters, pointing to the asset: %v", n, ledger.PointsToAsset(rel.Body))
	}
	data, _ := a.asset(t)
	l, err := ledger.Parse(data)
	if err != nil || len(l.Images) != 1000 {
		t.Fatalf("asset: %v, %d images", err, len(l.Images))
	}
	a.gh.Publish("org", "app", "v1.0.0")
	r, err = a.record(t, false, images[:10]...)
	if err != nil || !strings.HasPrefix(r.Release.Asset, "unchanged") {
		t.Fatalf("re-run on the sealed release: %v, %+v", err, r.Release)
	}
	got := 0
	_, err = load.Each(context.Background(), load.Sources{Release: "v1.0.0", Repository: "org/app", GitHub: fixture.GitHub(t, a.gh, "t0ken-for-tests")}, func(l load.Loaded) error {
		if l.Evidence != load.Sealed || len(l.Tampered) > 0 {
			t.Errorf("evidence %s, tampered %v", l.Evidence, l.Tampered)
		}
		got = len(l.Ledger.Images)
		return nil
	})
	if err != nil || got != 1000 {
		t.Errorf("read back: %d images, %v", got, err)
	}
}

// TestLedgerAssetReplacementCutShortIsFinished: a replacement uploads the
// new ledger whole as a pending asset before the old one goes. A run cut
// short after the deletion leaves only the pending asset; the next run
// takes what it holds, merges, and puts the ledger in place.
func TestLedgerAssetReplacementCutShortIsFinished(t *testing.T) {
	t.Parallel()
	a := newAssetRig(t)
	a.mutableReleaseWithAsset(t, pendingName)
	if _, err := a.record(t, false, a.srv.Ref("org/app:1.0.0")); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range a.gh.Assets("org", "app", "v1.0.0") {
		names = append(names, x.Name)
	}
	data, _ := a.asset(t)
	l, err := ledger.Parse(data)
	if err != nil || len(l.Images) != 2 || len(names) != 1 {
		t.Fatalf("assets %v; ledger %v, %+v", names, err, l)
	}
}

// TestPendingAssetAloneIsPutInPlace: a run cut short after it deleted the
// old asset leaves the whole ledger as the pending asset. Readers take it,
// and the same record run again puts it in place under its own name.
func TestPendingAssetAloneIsPutInPlace(t *testing.T) {
	t.Parallel()
	a := newAssetRig(t)
	a.gh.SetImmutableReleases("org", "app", false)
	ref := a.srv.Ref("org/app:1.0.0")
	if _, err := a.record(t, true, ref); err != nil {
		t.Fatal(err)
	}
	c := fixture.GitHub(t, a.gh, "t0ken-for-tests")
	final := a.gh.Assets("org", "app", "v1.0.0")[0]
	if err := c.RenameAsset(context.Background(), "org", "app", final.ID, pendingName); err != nil {
		t.Fatal(err)
	}
	_, err := load.Each(context.Background(), load.Sources{Release: "v1.0.0", Repository: "org/app", GitHub: c}, func(l load.Loaded) error {
		if l.Evidence != load.AssetOnly || len(l.Tampered) > 0 {
			t.Errorf("the pending asset alone reads as %s, tampered %v", l.Evidence, l.Tampered)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.record(t, false, ref); err != nil {
		t.Fatal(err)
	}
	assets := a.gh.Assets("org", "app", "v1.0.0")
	if len(assets) != 1 || assets[0].Name != AssetName || !bytes.Equal(assets[0].Data, final.Data) {
		t.Errorf("after the re-run: %+v", assets)
	}
}

// TestLedgerFileOfTheSameReleaseMerges: two record (or promote) steps of
// one release write one --ledger-file; the second merges into what the
// first wrote, as the notes do. A file of another release is replaced.
func TestLedgerFileOfTheSameReleaseMerges(t *testing.T) {
	t.Parallel()
	a := newAssetRig(t)
	path := filepath.Join(t.TempDir(), "ledger.json")
	run := func(ref, image string) *Report {
		t.Helper()
		ev := event.Context{Repository: "org/app", Ref: ref, SHA: strings.Repeat("b", 40)}
		r, err := report.Run(context.Background(), NewPlan, Options{Images: []string{image}, Run: command.Run{Event: ev, Now: fixedNow}, Registry: fixture.Client(t), ReleaseOptions: ReleaseOptions{LedgerFile: path}}, false)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	run("refs/tags/v1.0.0", a.srv.Ref("org/app:1.0.0"))
	r := run("refs/tags/v1.0.0", a.srv.Ref("org/worker:1.0.0"))
	b, _ := os.ReadFile(path)
	l, err := ledger.Parse(b)
	if err != nil || len(l.Images) != 2 || !strings.HasPrefix(r.LedgerFile.Action, "merged") || r.Outputs.LedgerDigest != LedgerDigest(b) {
		t.Fatalf("same release: %v, %d images, %q, digest %s", err, len(l.Images), r.LedgerFile.Action, r.Outputs.LedgerDigest)
	}
	run("refs/tags/v2.0.0", a.srv.Ref("org/app:1.0.0"))
	b, _ = os.ReadFile(path)
	if l, _ := ledger.Parse(b); len(l.Images) != 1 {
		t.Errorf("another release's file was merged into: %d images", len(l.Images))
	}
}

// TestAssetRefusalIsTheSealOnlyWhenTheReleaseIsSealed: GitHub answers 422
// to an asset upload on a release published as immutable, and to other
// requests it finds invalid. Only a release read as sealed afterwards
// makes the 422 a refusal (exit 1); any other is a failure (exit 3) with
// GitHub's words, never a false "immutable".
func TestAssetRefusalIsTheSealOnlyWhenTheReleaseIsSealed(t *testing.T) {
	t.Parallel()
	t.Run("another 422", func(t *testing.T) {
		t.Parallel()
		a := newAssetRig(t)
		a.gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Draft: true, Body: "notes"})
		a.gh.FailNextAt(http.MethodPost, "/assets", ghtest.Unprocessable("Bad Content-Length or name"))
		r, err := a.record(t, false, a.srv.Ref("org/app:1.0.0"))
		if errkind.Of(err) != errkind.Remote || !strings.Contains(err.Error(), "Bad Content-Length or name") || strings.Contains(err.Error(), "immutable") || r.Refused() != "" {
			t.Fatalf("a 422 on a draft: %v, refused %q: want exit 3 with GitHub's words", err, r.Refused())
		}
	})
	t.Run("published as immutable mid-run", func(t *testing.T) {
		t.Parallel()
		a := newAssetRig(t)
		a.gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Draft: true, Body: "notes"})
		// Someone publishes the draft between record's notes and its asset.
		a.gh.BeforeNextAt(http.MethodPost, "/assets", func() { a.gh.Publish("org", "app", "v1.0.0") })
		r, err := a.record(t, false, a.srv.Ref("org/app:1.0.0"))
		if err != nil || !strings.Contains(r.Refused(), "published as immutable while record ran") || !strings.HasPrefix(r.Summary, "BLOCKED") {
			t.Fatalf("published mid-run: %v, refused %q, %s: want a refusal", err, r.Refused(), r.Summary)
		}
		if data, notes := a.asset(t); data != nil || notes == nil {
			t.Errorf("asset %q, notes %v: want the notes alone", data, notes)
		}
	})
}
