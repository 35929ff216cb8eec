package restore

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

// TestAdvanceIsConfirmedOnlyByTheSealedAsset: v1.0.0 and v1.1.0 are both
// sealed. Someone edits only the notes of v1.1.0 (GitHub allows it on an
// immutable release) to record 1.1.0 at their digest and pushes it to
// 1.1.0 and latest. Whether latest advanced is read as restore reads a
// release, the asset first: the edited notes confirm nothing, and latest
// is not left on their digest as "advanced".
func TestAdvanceIsConfirmedOnlyByTheSealedAsset(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	gh.SetImmutableReleases("org", "app", true)
	ref := func(tag string) string { return srv.Ref("org/app:" + tag) }
	const manifest = "application/vnd.oci.image.manifest.v1+json"
	t0 := time.Now().UTC().Add(-96 * time.Hour).Truncate(time.Second)
	v100 := regtest.PushImage(t, ref("1.0.0")).String()
	regtest.Tag(t, ref("1.0.0"), ref("latest"))
	fixture.SealedRelease(t, gh, "v1.0.0", t0,
		ledger.Image{Ref: ref("1.0.0"), Digest: v100, MediaType: manifest},
		ledger.Image{Ref: ref("latest"), Digest: v100, MediaType: manifest})
	v110 := regtest.PushImage(t, ref("1.1.0")).String()
	fixture.SealedRelease(t, gh, "v1.1.0", t0.Add(24*time.Hour), ledger.Image{Ref: ref("1.1.0"), Digest: v110, MediaType: manifest})

	evil := regtest.PushImage(t, srv.Ref("org/evil:x")).String()
	regtest.Tag(t, srv.Ref("org/evil:x"), ref("1.1.0"))
	regtest.Tag(t, srv.Ref("org/evil:x"), ref("latest"))
	gh.EditBody("org", "app", "v1.1.0", fixture.NotesWith(t, t0.Add(24*time.Hour), ledger.Image{Ref: ref("1.1.0"), Digest: evil, MediaType: manifest}))

	r, _ := report.Run(context.Background(), NewPlan, Options{FromRelease: "v1.0.0", Registry: fixture.Client(t),
		GitHub: fixture.GitHub(t, gh, "t0ken"), Run: command.Run{Event: event.Context{Repository: "org/app"}, Jobs: 2}}, true)
	for _, tg := range r.Tags {
		if strings.HasSuffix(tg.Ref, ":latest") && tg.State == Advanced {
			t.Errorf("latest left on %s as advanced (%s), though v1.1.0's sealed asset records 1.1.0 at %s", evil, tg.Reason, v110)
		}
	}
}
