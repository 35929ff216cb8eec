package audit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
	"github.com/tagguard/tagguard/internal/report"
)

// TestWeakerRecordNeverOutranksASealedOne: v1.0.0 is sealed with
// app:1.0.0 at its digest. Someone with write access pushes their image to
// app:1.0.0 and opens a draft whose notes alone record it there. Newest
// would win; a record of weaker evidence never outranks a sealed one, so
// the tag is drifted against the sealed record and the disagreement is
// reported (exit 1), never read as ok.
func TestWeakerRecordNeverOutranksASealedOne(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	gh.SetImmutableReleases("org", "app", true)
	ref := srv.Ref("org/app:1.0.0")
	good := regtest.PushImage(t, ref).String()
	t0 := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second)
	fixture.SealedRelease(t, gh, "v1.0.0", t0, ledger.Image{Ref: ref, Digest: good, MediaType: imageType})

	evil := regtest.PushImage(t, srv.Ref("org/evil:x")).String()
	regtest.Tag(t, srv.Ref("org/evil:x"), ref)
	later := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.1-rc", Draft: true, CreatedAt: later,
		Body: fixture.NotesWith(t, later, ledger.Image{Ref: ref, Digest: evil, MediaType: imageType})})

	r, err := report.Run(context.Background(), NewPlan, Options{FromReleases: true, Run: command.Run{Event: event.Context{Repository: "org/app"}, Jobs: 2},
		GitHub: fixture.GitHub(t, gh, "t0ken"), Registry: fixture.Client(t)}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Refs) != 1 || r.Refs[0].Recorded != good || r.Refs[0].State == OK || !strings.Contains(r.Refs[0].Reason, "stronger evidence") || !r.Blocking() {
		t.Errorf("the sealed record was outranked by notes: %+v (%s)", r.Refs, r.Summary)
	}
}

// TestAVersionRecordedTwiceIsInconsistent: two releases of the same
// evidence record one version tag at two digests: the version was
// published twice, and no date makes either right.
func TestAVersionRecordedTwiceIsInconsistent(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	ref := srv.Ref("org/app:1.0.0")
	first := regtest.PushImage(t, ref).String()
	second := regtest.PushImage(t, ref).String()
	t0 := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second)
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", CreatedAt: t0, Body: fixture.NotesWith(t, t0, ledger.Image{Ref: ref, Digest: first, MediaType: imageType})})
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0-again", CreatedAt: t0.Add(time.Hour), Body: fixture.NotesWith(t, t0.Add(time.Hour), ledger.Image{Ref: ref, Digest: second, MediaType: imageType})})
	r, _ := report.Run(context.Background(), NewPlan, Options{FromReleases: true, Run: command.Run{Event: event.Context{Repository: "org/app"}, Jobs: 2},
		GitHub: fixture.GitHub(t, gh, "t0ken"), Registry: fixture.Client(t)}, false)
	if len(r.Refs) != 1 || r.Refs[0].State != Inconsistent {
		t.Errorf("a version recorded at two digests: %+v", r.Refs)
	}
}
