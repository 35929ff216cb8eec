package restore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/report"

	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestFloatingTagsFollowTheirLine: after 1.0.0 (tags
// 1.0.0, 1, latest) and 1.1.0 (which moved 1 and latest forward, as
// meant), restoring from 1.0.0's ledger planned latest and 1 back to
// 1.0.0 and wrote them. They have advanced: restore leaves them and says
// so, unless --allow-backward asks for the move back. A floating tag moved
// anywhere else (an unknown digest, an older version) is drift, restored.
func TestFloatingTagsFollowTheirLine(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	ref := func(tag string) string { return srv.Ref("org/app:" + tag) }
	old := regtest.PushImage(t, ref("0.9.0")).String()
	v100 := regtest.PushImage(t, ref("1.0.0")).String()
	l := &ledger.Ledger{Schema: ledger.Schema}
	for _, tag := range []string{"1.0.0", "1", "latest"} {
		l.Images = append(l.Images, ledger.Image{Ref: ref(tag), Digest: v100})
	}
	b, _ := l.Marshal()
	path := filepath.Join(t.TempDir(), "ledger-1.0.0.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	v110 := regtest.PushImage(t, ref("1.1.0")).String()
	regtest.Tag(t, ref("1.1.0"), ref("1"))
	regtest.Tag(t, ref("1.1.0"), ref("latest"))
	// 1.1.0's release records it: the evidence that 1 and latest advanced.
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	l110 := &ledger.Ledger{Schema: ledger.Schema, Images: []ledger.Image{{Ref: ref("1.1.0"), Digest: v110}}}
	body, _ := ledger.Upsert("", l110)
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.1.0", Body: body})

	withGitHub := func(o Options) Options {
		o.GitHub, o.Event = fixture.GitHub(t, gh, "t0ken"), event.Context{Repository: "org/app"}
		return o
	}
	states := func(o Options) map[string]Tag {
		t.Helper()
		o.FromLedgers, o.Registry = []string{path}, fixture.Client(t)
		r, err := report.Run(context.Background(), NewPlan, o, true)
		if err != nil { // a held tag is a refusal in the report, not an error
			t.Fatal(err)
		}
		out := map[string]Tag{}
		for _, tg := range r.Tags {
			out[tg.Ref[strings.LastIndex(tg.Ref, ":")+1:]] = tg
		}
		return out
	}
	s := states(withGitHub(Options{}))
	for _, tag := range []string{"1", "latest"} {
		if s[tag].State != Advanced || !strings.Contains(s[tag].Reason, "advanced to 1.1.0") {
			t.Errorf("%s: %s %q: want advanced to 1.1.0, left where it is", tag, s[tag].State, s[tag].Reason)
		}
	}
	if s["1.0.0"].State != Unchanged {
		t.Errorf("1.0.0: %s", s["1.0.0"].State)
	}
	r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: fixture.Client(t),
		GitHub: fixture.GitHub(t, gh, "t0ken"), Run: command.Run{Event: event.Context{Repository: "org/app"}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c := len(r.Outputs.Changed); c != 0 {
		t.Errorf("%d tags written, want none: %+v", c, r.Outputs.Changed)
	}

	s = states(withGitHub(Options{AllowBackward: true}))
	if s["latest"].State != Planned || !strings.Contains(s["latest"].Reason, "moves back from 1.1.0") || !strings.Contains(s["latest"].Reason, "--allow-backward") {
		t.Errorf("--allow-backward: latest %s %q: want planned, shown as a move back", s["latest"].State, s["latest"].Reason)
	}

	// Partial evidence (a ledger file, no GitHub to ask): 1.1.0 may be a
	// release this run did not read, so latest is held, never dragged
	// back silently; --allow-backward moves it back, labelled so.
	s = states(Options{})
	if s["latest"].State != Held || !strings.Contains(s["latest"].Reason, "held, not moved back") {
		t.Errorf("partial evidence: latest %s %q: want held", s["latest"].State, s["latest"].Reason)
	}
	if dry, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: fixture.Client(t)}, true); err != nil || !strings.Contains(dry.Refused(), "floating tag is held") {
		t.Errorf("a dry run with a held tag: %v, refused %q: want exit 1 as the run", err, dry.Refused())
	}
	held, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: fixture.Client(t)}, false)
	if err != nil || !strings.Contains(held.Refused(), "held") || !strings.HasPrefix(held.Summary, "BLOCKED") || len(held.Outputs.Changed) != 0 {
		t.Errorf("a held tag applied: %v, %s, changed %+v: want exit 1, BLOCKED, nothing written", err, held.Summary, held.Outputs.Changed)
	}
	s = states(Options{AllowBackward: true})
	if s["latest"].State != Planned || !strings.Contains(s["latest"].Reason, "backward") {
		t.Errorf("partial evidence, --allow-backward: latest %s %q: want planned, a move back", s["latest"].State, s["latest"].Reason)
	}
	// Complete evidence (any release can be asked for) and none records
	// 1.1.0 there: a hand push, restored, and the plan says why.
	empty := ghtest.New(t, ghtest.WithToken("t0ken"))
	empty.AddRepo("org", "app")
	s = states(Options{GitHub: fixture.GitHub(t, empty, "t0ken"), Run: command.Run{Event: event.Context{Repository: "org/app"}}})
	if s["latest"].State != Planned || !strings.Contains(s["latest"].Reason, "not taken for an advance") {
		t.Errorf("complete evidence, unrecorded 1.1.0: latest %s %q: want planned (drift)", s["latest"].State, s["latest"].Reason)
	}

	// Moved to an older version, or to bits of no version: drift.
	regtest.Tag(t, ref("0.9.0"), ref("latest"))
	regtest.PushImage(t, ref("1"))
	s = states(withGitHub(Options{}))
	for _, tag := range []string{"1", "latest"} {
		if s[tag].State != Planned {
			t.Errorf("%s moved elsewhere: %s %q: want a planned restore", tag, s[tag].State, s[tag].Reason)
		}
	}
	_ = old
}

// TestTagsSubsetStillSeesEveryRecord: restoring --tags latest from a
// ledger that records 1.1.0 too must still see that record: latest at
// 1.1.0's digest advanced, it is not dragged back.
func TestTagsSubsetStillSeesEveryRecord(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	ref := func(tag string) string { return srv.Ref("org/app:" + tag) }
	v100 := regtest.PushImage(t, ref("1.0.0")).String()
	v110 := regtest.PushImage(t, ref("1.1.0")).String()
	regtest.Tag(t, ref("1.1.0"), ref("latest"))
	l := &ledger.Ledger{Schema: ledger.Schema, Images: []ledger.Image{{Ref: ref("1.0.0"), Digest: v100}, {Ref: ref("latest"), Digest: v100}, {Ref: ref("1.1.0"), Digest: v110}}}
	b, _ := l.Marshal()
	path := filepath.Join(t.TempDir(), "ledger.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Tags: []string{"latest"}, Registry: fixture.Client(t)}, true)
	if err != nil || len(r.Tags) != 1 || r.Tags[0].State != Advanced {
		t.Errorf("--tags latest: %v; %+v: want advanced to 1.1.0", err, r.Tags)
	}
}
