package record

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/report"

	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
)

func TestRecordIntoReleaseNotes(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	app := regtest.PushIndex(t, srv.Ref("org/app:0.15.0"))
	regtest.Tag(t, srv.Ref("org/app:0.15.0"), srv.Ref("org/app:latest"))
	worker := regtest.PushImage(t, srv.Ref("org/worker:0.15.0"))

	gh := ghtest.New(t, ghtest.WithToken("t0ken-for-tests"))
	const before = "## What's changed\r\n\r\n* Fix the thing by @someone\r\n"
	const after = "\r\n**Full Changelog**: https://github.com/org/app/compare/v0.14.0...v0.15.0\r\n"
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v0.15.0", Body: before})
	ev := event.Context{Repository: "org/app", Ref: "refs/tags/v0.15.0", SHA: strings.Repeat("b", 40)}
	client := fixture.GitHub(t, gh, "t0ken-for-tests")

	rec := func(images ...string) *Report {
		t.Helper()
		r, err := report.Run(context.Background(), NewPlan, Options{Images: images, Run: command.Run{Event: ev, Now: fixedNow}, Registry: fixture.Client(t), GitHub: client}, false)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		return r
	}
	r := rec(srv.Ref("org/app:0.15.0"), srv.Ref("org/app:latest"))
	if r.Release.Action != "updated the notes" {
		t.Fatalf("release: %+v", r.Release)
	}
	rel, _ := gh.Release("org", "app", "v0.15.0")
	if !strings.HasPrefix(rel.Body, before) {
		t.Errorf("the text before the section changed:\n%q", rel.Body)
	}

	// A person adds text after the section; a second record (another image)
	// merges into the same section and leaves both texts byte for byte.
	edited := rel.Body + after
	if _, err := client.EditReleaseBody(context.Background(), "org", "app", rel.ID, edited); err != nil {
		t.Fatal(err)
	}
	rel, _ = gh.Release("org", "app", "v0.15.0")
	if rel.Body != edited {
		t.Fatalf("ghtest did not replace the release body")
	}
	r = rec(srv.Ref("org/worker:0.15.0"))
	if r.Release.Action != "updated the notes" {
		t.Fatalf("second record: %+v", r.Release)
	}
	rel, _ = gh.Release("org", "app", "v0.15.0")
	if n := strings.Count(rel.Body, "<!-- tagguard:ledger:begin -->"); n != 1 {
		t.Errorf("%d sections after two records, want 1", n)
	}
	if !strings.HasPrefix(rel.Body, before) || !strings.HasSuffix(rel.Body, after) {
		t.Errorf("text around the section changed:\n%q", rel.Body)
	}
	l, found, err := ledger.Extract(rel.Body)
	if err != nil || !found {
		t.Fatalf("Extract: %v %v", found, err)
	}
	got := map[string]string{}
	for _, im := range l.Images {
		got[im.Ref] = im.Digest
	}
	if got[srv.Ref("org/app:0.15.0")] != app.String() || got[srv.Ref("org/app:latest")] != app.String() || got[srv.Ref("org/worker:0.15.0")] != worker.String() || len(got) != 3 {
		t.Errorf("merged ledger %v", got)
	}

	// Recording the same again writes nothing.
	edits := countEdits(gh)
	r = rec(srv.Ref("org/worker:0.15.0"))
	if !strings.HasPrefix(r.Release.Action, "unchanged") || countEdits(gh) != edits {
		t.Errorf("re-record: %+v, %d edits (was %d)", r.Release, countEdits(gh), edits)
	}
}

func countEdits(gh *ghtest.Server) int {
	n := 0
	for _, r := range gh.Requests() {
		if r.Method == "PATCH" {
			n++
		}
	}
	return n
}

func TestRecordWithoutRelease(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	regtest.PushImage(t, srv.Ref("org/app:1.0.0"))
	gh := ghtest.New(t, ghtest.WithToken("t0ken-for-tests"))
	gh.AddRepo("org", "app")
	o := Options{Images: []string{srv.Ref("org/app:1.0.0")}, Run: command.Run{Event: event.Context{Repository: "org/app"}, Now: fixedNow},
		Registry: fixture.Client(t), GitHub: fixture.GitHub(t, gh, "t0ken-for-tests"), ReleaseOptions: ReleaseOptions{ReleaseTag: "v1.0.0"}}
	r, err := report.Run(context.Background(), NewPlan, o, false)
	if err != nil || !strings.Contains(r.Release.Action, "has no release v1.0.0 yet") {
		t.Fatalf("%v %+v", err, r.Release)
	}
	if len(gh.Releases("org", "app")) != 0 {
		t.Errorf("a release was created without --create-release")
	}
	o.CreateRelease = true
	if r, err = report.Run(context.Background(), NewPlan, o, true); err != nil || !strings.Contains(r.Release.Action, "dry run") || len(gh.Releases("org", "app")) != 0 {
		t.Fatalf("dry run: %v %+v", err, r.Release)
	}
	if r, err = report.Run(context.Background(), NewPlan, o, false); err != nil {
		t.Fatal(err)
	}
	rels := gh.Releases("org", "app")
	if len(rels) != 1 || !rels[0].Draft || !strings.Contains(rels[0].Body, "tagguard:ledger:begin") {
		t.Errorf("releases %+v: want one draft with the ledger", rels)
	}
}

func TestRecordBrokenSectionLeavesNotesAlone(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	regtest.PushImage(t, srv.Ref("org/app:1.0.0"))
	gh := ghtest.New(t, ghtest.WithToken("t0ken-for-tests"))
	body := "notes\n<!-- tagguard:ledger:begin -->\nhalf a section, someone cut the end\n"
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Body: body})
	r, err := report.Run(context.Background(), NewPlan, Options{Images: []string{srv.Ref("org/app:1.0.0")},
		Run: command.Run{Event: event.Context{Repository: "org/app"}, Now: fixedNow}, Registry: fixture.Client(t), GitHub: fixture.GitHub(t, gh, "t0ken-for-tests"), ReleaseOptions: ReleaseOptions{ReleaseTag: "v1.0.0"}}, false)
	if err != nil || !strings.Contains(r.Refused(), "fix or remove the tagguard section by hand") {
		t.Fatalf("a broken section: %v, refused %q: want a refusal", err, r.Refused())
	}
	if rel, _ := gh.Release("org", "app", "v1.0.0"); rel.Body != body || countEdits(gh) != 0 {
		t.Errorf("notes changed: %q", rel.Body)
	}
}

func TestRecordGitHubRateLimitThenSuccess(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	regtest.PushImage(t, srv.Ref("org/app:1.0.0"))
	gh := ghtest.New(t, ghtest.WithToken("t0ken-for-tests"))
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0"})
	gh.FailNext(1, ghtest.SecondaryRateLimit(0))
	gh.FailNext(1, ghtest.ServerError(502))
	var waits []time.Duration
	c, _ := githubapi.New(githubapi.Config{Token: "t0ken-for-tests", BaseURL: gh.URL, Retry: githubapi.RetryPolicy{
		Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}})
	r, err := report.Run(context.Background(), NewPlan, Options{Images: []string{srv.Ref("org/app:1.0.0")},
		Run: command.Run{Event: event.Context{Repository: "org/app"}, Now: fixedNow}, Registry: fixture.Client(t), GitHub: c, ReleaseOptions: ReleaseOptions{ReleaseTag: "v1.0.0"}}, false)
	if err != nil || r.Release.Action != "updated the notes" {
		t.Fatalf("%v %+v", err, r)
	}
	if len(waits) != 2 || waits[0] < time.Minute {
		t.Errorf("waits %v: want a minute for the secondary limit without retry-after, then a backoff", waits)
	}
}

// racingWriter is a second record step editing the same notes: right after
// our first edit lands, it writes the notes as it read them before, which
// drops our section's new refs.
type racingWriter struct {
	*githubapi.Client
	stale string
	done  bool
}

func (w *racingWriter) EditReleaseBody(ctx context.Context, owner, repo string, id int64, body string) (*githubapi.Release, error) {
	rel, err := w.Client.EditReleaseBody(ctx, owner, repo, id, body)
	if err == nil && !w.done {
		w.done = true
		return w.Client.EditReleaseBody(ctx, owner, repo, id, w.stale)
	}
	return rel, err
}

func TestRecordSurvivesAConcurrentEdit(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	d := regtest.PushImage(t, srv.Ref("org/app:1.0.0"))
	gh := ghtest.New(t, ghtest.WithToken("t0ken-for-tests"))
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Body: "notes\n"})
	w := &racingWriter{Client: fixture.GitHub(t, gh, "t0ken-for-tests"), stale: "notes\nedited by the other job\n"}
	r, err := report.Run(context.Background(), NewPlan, Options{Images: []string{srv.Ref("org/app:1.0.0")},
		Run: command.Run{Event: event.Context{Repository: "org/app"}, Now: fixedNow}, Registry: fixture.Client(t), GitHub: w, ReleaseOptions: ReleaseOptions{ReleaseTag: "v1.0.0"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := gh.Release("org", "app", "v1.0.0")
	if !strings.Contains(rel.Body, d.String()) || !strings.Contains(rel.Body, "edited by the other job") {
		t.Errorf("after a concurrent edit, action %q, body:\n%s", r.Release.Action, rel.Body)
	}
}

func TestRecordReportsAChangedDigest(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	ref := srv.Ref("org/app:1.0.0")
	first := regtest.PushImage(t, ref)
	gh := ghtest.New(t, ghtest.WithToken("t0ken-for-tests"))
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0"})
	o := Options{Images: []string{ref}, Run: command.Run{Event: event.Context{Repository: "org/app"}, Now: fixedNow}, Registry: fixture.Client(t), GitHub: fixture.GitHub(t, gh, "t0ken-for-tests"), ReleaseOptions: ReleaseOptions{ReleaseTag: "v1.0.0"}}
	if _, err := report.Run(context.Background(), NewPlan, o, false); err != nil {
		t.Fatal(err)
	}
	second := regtest.PushImage(t, ref)
	r, err := report.Run(context.Background(), NewPlan, o, false)
	if err != nil || len(r.Release.Changes) != 1 || !strings.Contains(r.Release.Changes[0], first.String()+", now at "+second.String()) {
		t.Errorf("%v %+v", err, r.Release)
	}
}
