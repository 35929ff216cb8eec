package audit

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/refs"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
	"github.com/tagguard/tagguard/internal/report"
)

// auditReleases audits every release of org/app on gh, at now.
func auditReleases(t *testing.T, gh *ghtest.Server, now time.Time) (*Report, error) {
	t.Helper()
	c, err := githubapi.New(githubapi.Config{Token: "t0ken", BaseURL: gh.URL, Retry: githubapi.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return report.Run(context.Background(), NewPlan, Options{FromReleases: true, Run: command.Run{Event: event.Context{Repository: "org/app"}, Jobs: 4, Now: func() time.Time { return now }}, GitHub: c,
		Registry: fixture.Client(t)}, false)
}

// TestUnreadableSectionsMakeAnIncompleteAudit: when
// every release's ledger section was broken the audit said "OK: no
// recorded ref to audit" and exited 0; anyone who can edit release notes
// could take a release out of the daily audit. Now each is named, in an
// annotation too, the headline says INCOMPLETE and the exit code is 3. A
// release without a section (older than tagguard) is no problem.
func TestUnreadableSectionsMakeAnIncompleteAudit(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	d := regtest.PushImage(t, srv.Ref("org/app:1.0.0")).String()
	good := fixture.NotesWith(t, day, ledger.Image{Ref: srv.Ref("org/app:1.0.0"), Digest: d, MediaType: imageType})
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	broken := map[string]string{
		"v1.0.1": strings.Replace(good, `"schema"`, `"schema`, 1),                                                  // invalid JSON
		"v1.0.2": strings.Replace(good, `"ref": "`+srv.Ref("org/app:1.0.0"), `"ref": "Not/A Ref:1.0.0`, 1),         // a bad ref
		"v1.0.3": good + "\n" + good,                                                                               // two sections
		"v1.0.4": strings.Replace(good, `"images"`, `"pad":"`+strings.Repeat("x", ledger.MaxSize)+`","images"`, 1), // over the cap
	}
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v0.9.0", Body: "notes from before tagguard", CreatedAt: day.Add(-time.Hour)})
	for _, tag := range []string{"v1.0.1", "v1.0.2", "v1.0.3", "v1.0.4"} {
		gh.AddRelease("org", "app", ghtest.Release{TagName: tag, Body: broken[tag], CreatedAt: day})
	}
	r, err := auditReleases(t, gh, day.Add(time.Hour))
	if errkind.ExitCode(err) != 3 {
		t.Fatalf("exit %d (%v): want 3", errkind.ExitCode(err), err)
	}
	if !strings.HasPrefix(r.Summary, "INCOMPLETE") || strings.Contains(r.Summary, "OK") {
		t.Errorf("headline %q: want INCOMPLETE, never OK", r.Summary)
	}
	shown := r.Show()
	for _, tag := range []string{"v1.0.1", "v1.0.2", "v1.0.3", "v1.0.4"} {
		found := false
		for _, a := range shown.Annotations {
			found = found || (a.Level == report.Bad && strings.Contains(a.Message, "release "+tag))
		}
		if !found || !strings.Contains(err.Error(), tag) {
			t.Errorf("release %s is not named in an error annotation and the error: %v", tag, err)
		}
	}
	if strings.Contains(err.Error(), "v0.9.0") {
		t.Errorf("a release without a section is named as a problem: %v", err)
	}
}

// TestGitHubFailureIsNeverOK: with GitHub answering 500
// the audit exited 3 under the headline "OK: no recorded ref to audit".
func TestGitHubFailureIsNeverOK(t *testing.T) {
	t.Parallel()
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Body: "x"})
	gh.FailNext(10, ghtest.ServerError(500))
	r, err := auditReleases(t, gh, day)
	if errkind.ExitCode(err) != 3 || r == nil || !strings.HasPrefix(r.Summary, "INCOMPLETE") {
		t.Fatalf("exit %d, report %+v: want 3 and an INCOMPLETE headline", errkind.ExitCode(err), r)
	}
}

// TestForgedDateNeverWins: an old release whose notes
// were edited to say created 2099 outranked every later record, so audit
// called the true state drift and its drift ledger would restore the
// forged digest. Releases are now ordered by GitHub's own dates; the
// forged record is flagged and never wins.
func TestForgedDateNeverWins(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	old := regtest.PushImage(t, srv.Ref("org/app:1.0.0")).String()
	cur := regtest.PushImage(t, srv.Ref("org/app:1.1.0")).String()
	regtest.Tag(t, srv.Ref("org/app:1.1.0"), srv.Ref("org/app:latest"))
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	forged := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	for when, flagged := range map[time.Time]bool{
		forged:                        true,  // in the future
		day.Add(-30 * 24 * time.Hour): true,  // before its own release was created
		day.Add(2 * time.Hour):        false, // after v1.1.0: the release dates still decide
	} {
		gh := ghtest.New(t, ghtest.WithToken("t0ken"))
		gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", CreatedAt: day, Body: fixture.NotesWith(t, when,
			ledger.Image{Ref: srv.Ref("org/app:1.0.0"), Digest: old, MediaType: imageType},
			ledger.Image{Ref: srv.Ref("org/app:latest"), Digest: old, MediaType: imageType})})
		gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.1.0", CreatedAt: day.Add(time.Hour), Body: fixture.NotesWith(t, day.Add(time.Hour),
			ledger.Image{Ref: srv.Ref("org/app:1.1.0"), Digest: cur, MediaType: imageType},
			ledger.Image{Ref: srv.Ref("org/app:latest"), Digest: cur, MediaType: imageType})})
		r, err := auditReleases(t, gh, day.Add(24*time.Hour))
		if err != nil || r.Blocking() {
			t.Fatalf("%s: %v, %s: want ok", when, err, r.Summary)
		}
		for _, ref := range r.Refs {
			if strings.HasSuffix(ref.Ref, ":latest") && (ref.State != OK || ref.From != "release v1.1.0") {
				t.Errorf("%s: latest %s from %s: want ok from release v1.1.0", when, ref.State, ref.From)
			}
		}
		if flagged && (len(r.Flags) != 1 || r.Flags[0].From != "release v1.0.0") || !flagged && len(r.Flags) != 0 {
			t.Errorf("%s: flags %+v: want release v1.0.0 flagged %v", when, r.Flags, flagged)
		}
	}
	_ = gh
}

// TestTieIsInconsistent: two records of one ref as new as each other at
// different digests gave ok or drifted by the order of the flags; now
// they are inconsistent in both orders.
func TestTieIsInconsistent(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	a := regtest.PushImage(t, srv.Ref("org/app:a")).String()
	b := regtest.PushImage(t, srv.Ref("org/app:latest")).String()
	la := writeLedger(t, day, ledger.Image{Ref: srv.Ref("org/app:latest"), Digest: a, MediaType: imageType})
	lb := writeLedger(t, day, ledger.Image{Ref: srv.Ref("org/app:latest"), Digest: b, MediaType: imageType})
	for _, files := range [][]string{{la, lb}, {lb, la}} {
		r, _ := report.Run(context.Background(), NewPlan, Options{FromLedgers: files, Registry: fixture.Client(t), Run: command.Run{Jobs: 2, Now: func() time.Time { return day }}}, false)
		if len(r.Refs) != 1 || r.Refs[0].State != Inconsistent || !r.Blocking() {
			t.Errorf("%v: %+v: want latest inconsistent", files, r.Refs)
		}
	}
}

// TestDriftLedgerNamesWhereEachDigestWasRecorded: the drift ledger gathers records from many releases, so each
// entry carries where its digest was recorded, and restore's plan shows
// it.
func TestDriftLedgerNamesWhereEachDigestWasRecorded(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	old := regtest.PushImage(t, srv.Ref("org/app:1.0.0")).String()
	regtest.PushImage(t, srv.Ref("org/app:1.0.0")) // moved by hand
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", CreatedAt: day, Body: fixture.NotesWith(t, day,
		ledger.Image{Ref: srv.Ref("org/app:1.0.0"), Digest: old, MediaType: imageType})})
	r, _ := auditReleases(t, gh, day.Add(time.Hour))
	if len(r.Drift.Images) != 1 || r.Drift.Images[0].RecordedIn != "release v1.0.0" {
		t.Fatalf("drift %+v: want 1.0.0 recorded in release v1.0.0", r.Drift.Images)
	}
	if _, err := ledger.Parse([]byte(r.Outputs.Drift)); err != nil {
		t.Errorf("the drift output does not parse: %v", err)
	}
}

// TestAdvancedFloatingTagsAreOK: after 1.1.0
// moved 1 and latest forward, an audit of 1.0.0's ledger called that
// drift and its drift ledger would have undone it. An advanced floating
// tag is ok ("advanced to 1.1.0") and stays out of the drift ledger — when
// a ledger records 1.1.0 at that digest (a ledger read, or 1.1.0's
// release). A version tag pushed by hand proves nothing (the review's F1):
// latest moved to it is drift, and so is one dragged back.
func TestAdvancedFloatingTagsAreOK(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	ref := func(tag string) string { return srv.Ref("org/app:" + tag) }
	regtest.PushImage(t, ref("0.9.0"))
	v100 := regtest.PushImage(t, ref("1.0.0")).String()
	var images []ledger.Image
	for _, tag := range []string{"1.0.0", "1", "latest"} {
		images = append(images, ledger.Image{Ref: ref(tag), Digest: v100, MediaType: imageType})
	}
	path := writeLedger(t, day, images...)
	v110 := regtest.PushImage(t, ref("1.1.0")).String()
	regtest.Tag(t, ref("1.1.0"), ref("1"))
	regtest.Tag(t, ref("1.1.0"), ref("latest"))
	path110 := writeLedger(t, day.Add(24*time.Hour), ledger.Image{Ref: ref("1.1.0"), Digest: v110, MediaType: imageType})
	audit := func(o Options) *Report {
		t.Helper()
		o.Registry, o.Jobs, o.Now = fixture.Client(t), 4, func() time.Time { return day.Add(48 * time.Hour) }
		r, err := report.Run(context.Background(), NewPlan, o, false)
		if err != nil && errkind.ExitCode(err) != 1 {
			t.Fatal(err)
		}
		return r
	}
	latest := func(r *Report) Ref {
		for _, x := range r.Refs {
			if strings.HasSuffix(x.Ref, ":latest") {
				return x
			}
		}
		return Ref{}
	}
	// 1.1.0's ledger read too: advanced, ok.
	r := audit(Options{FromLedgers: []string{path, path110}})
	if r.Blocking() || len(r.Drift.Images) != 0 || !strings.Contains(latest(r).Reason, "advanced to 1.1.0") {
		t.Fatalf("%s; latest %q; drift %+v: want ok, advanced to 1.1.0, no drift", r.Summary, latest(r).Reason, r.Drift.Images)
	}
	// 1.1.0's release on GitHub records it: advanced, ok.
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.1.0", Body: fixture.NotesWith(t, day, ledger.Image{Ref: ref("1.1.0"), Digest: v110, MediaType: imageType})})
	r = audit(Options{FromLedgers: []string{path}, GitHub: fixture.GitHub(t, gh, "t0ken"), Run: command.Run{Event: event.Context{Repository: "org/app"}}})
	if r.Blocking() || !strings.Contains(latest(r).Reason, "advanced to 1.1.0") {
		t.Errorf("with 1.1.0's release: %s; latest %q", r.Summary, latest(r).Reason)
	}
	// Nothing read records 1.1.0, and the evidence is partial (a ledger
	// file, no GitHub to ask): unconfirmed, exit 1, out of the drift
	// ledger: never a restore that drags latest back.
	r = audit(Options{FromLedgers: []string{path}})
	if !r.Blocking() || latest(r).State != Unconfirmed || !strings.Contains(latest(r).Reason, "held, not moved back") || len(r.Drift.Images) != 0 {
		t.Errorf("unrecorded 1.1.0, partial evidence: %s; latest %s %q; drift %+v: want unconfirmed, no drift", r.Summary, latest(r).State, latest(r).Reason, r.Drift.Images)
	}
	// With GitHub to ask for 1.1.0's release (complete evidence) and none
	// there: the registry alone is no evidence, drift.
	empty := ghtest.New(t, ghtest.WithToken("t0ken"))
	empty.AddRepo("org", "app")
	r = audit(Options{FromLedgers: []string{path}, GitHub: fixture.GitHub(t, empty, "t0ken"), Run: command.Run{Event: event.Context{Repository: "org/app"}}})
	if !r.Blocking() || latest(r).State != Drifted || !strings.Contains(latest(r).Reason, "not taken for an advance") {
		t.Errorf("unrecorded 1.1.0, complete evidence: %s; latest %s %q: want drifted, saying why", r.Summary, latest(r).State, latest(r).Reason)
	}
	// A hand-pushed 99.0.0 with latest moved to it: drift where every
	// release can be asked for.
	regtest.PushImage(t, ref("99.0.0"))
	regtest.Tag(t, ref("99.0.0"), ref("latest"))
	r = audit(Options{FromLedgers: []string{path, path110}, GitHub: fixture.GitHub(t, empty, "t0ken"), Run: command.Run{Event: event.Context{Repository: "org/app"}}})
	if latest(r).State != Drifted {
		t.Errorf("latest moved to a hand-pushed 99.0.0: %s %q: want drifted", latest(r).State, latest(r).Reason)
	}
	regtest.Tag(t, ref("0.9.0"), ref("latest")) // dragged back
	r = audit(Options{FromLedgers: []string{path, path110}})
	if latest(r).State != Drifted || !r.Blocking() {
		t.Errorf("latest dragged back: %s: want drifted", latest(r).State)
	}
}

// TestMangledSectionIsNoProblemLessRelease: notes with both markers
// mangled (or half a section deleted) read as "no section" and silently
// left the audit; they are a problem, the
// audit incomplete. A release whose record came 20 minutes after it was
// published, while release-drafter opened the next draft, is not flagged.
func TestMangledSectionIsNoProblemLessRelease(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	d := regtest.PushImage(t, srv.Ref("org/app:1.0.0")).String()
	body := fixture.NotesWith(t, day.Add(20*time.Minute), ledger.Image{Ref: srv.Ref("org/app:1.0.0"), Digest: d, MediaType: imageType})
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Body: body, CreatedAt: day.Add(-7 * 24 * time.Hour), PublishedAt: day})
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.1", Draft: true, Body: "next", CreatedAt: day.Add(2 * time.Minute)})
	r, err := auditReleases(t, gh, day.Add(time.Hour))
	if err != nil || len(r.Flags) != 0 {
		t.Fatalf("%v; flags %+v: want a clean audit", err, r.Flags)
	}
	mangled := strings.NewReplacer("<!-- tagguard:ledger:begin -->", "x<!-- tagguard:ledger:begin -->", "<!-- tagguard:ledger:end -->", "x<!-- tagguard:ledger:end -->").Replace(body)
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.2", Body: mangled, CreatedAt: day.Add(3 * time.Minute)})
	r, err = auditReleases(t, gh, day.Add(time.Hour))
	if errkind.ExitCode(err) != 3 || len(r.Problems) != 1 || r.Problems[0].From != "release v1.0.2" {
		t.Errorf("%v; problems %+v: want v1.0.2 named, exit 3", err, r.Problems)
	}
}

// TestAuditNoticesLostSignatures: record keeps what was
// attached in the ledger; when a signature is deleted later (a cleanup
// policy, a hand), audit reports the digest unsigned since it was recorded:
// still there, restorable, but no longer signed. A ledger without the
// field costs no request for it.
func TestAuditNoticesLostSignatures(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t, regtest.WithDelete())
	d := regtest.PushImage(t, reg.Ref("org/app:1.0.0")).String()
	subject := reg.Ref("org/app@" + d)
	sig := regtest.SignLegacy(t, subject, ".sig")
	att := regtest.Refer(t, subject, regtest.InToto)
	c := fixture.Client(t)
	tag, _ := refs.ParseTag(reg.Ref("org/app:1.0.0"))
	found, err := c.AttachmentsOf(context.Background(), []name.Digest{tag.Context().Digest(d)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := writeLedger(t, day, ledger.Image{Ref: reg.Ref("org/app:1.0.0"), Digest: d, MediaType: imageType, Attached: found[oci.AttachedKey(tag.Context().Digest(d))].Record()})
	audit := func() (*Report, error) {
		return report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: fixture.Client(t), Run: command.Run{Jobs: 2, Now: func() time.Time { return day }}, Referrers: true}, false)
	}
	if r, err := audit(); err != nil || r.Blocking() {
		t.Fatalf("signed as recorded: %v, %s", err, r.Summary)
	}
	del(t, reg.Ref("org/app@"+sig.String()))
	r, _ := audit()
	if !r.Blocking() || r.Refs[0].State != Unsigned || !strings.Contains(r.Refs[0].Reason, "signatures") {
		t.Errorf("%s; %+v: want unsigned, naming the signatures", r.Summary, r.Refs)
	}
	// The attestation deleted by digest stays listed in the fallback tag
	// (nobody prunes it): it must count as lost all the same.
	del(t, reg.Ref("org/app@"+att.String()))
	r, _ = audit()
	if !r.Blocking() || r.Refs[0].State != Unsigned || !strings.Contains(r.Refs[0].Reason, "signatures, attestations") {
		t.Errorf("%s; %+v: want unsigned, naming the signatures and the attestations", r.Summary, r.Refs)
	}
}

// TestUnreadAttachmentsAreUnknownNotUnsigned: the signature lives in the
// fallback tag, the attestation at cosign's legacy .att tag; with the
// fallback tag answering 500, what was read (the attestation) is a floor,
// and the signature missing from it may be in what was not read. The
// digest is unknown (exit 3), never unsigned (exit 1).
func TestUnreadAttachmentsAreUnknownNotUnsigned(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t)
	d := regtest.PushImage(t, reg.Ref("org/app:1.0.0")).String()
	subject := reg.Ref("org/app@" + d)
	regtest.Refer(t, subject, regtest.CosignSignature)
	regtest.SignLegacy(t, subject, ".att")
	c := fixture.Client(t)
	tag, _ := refs.ParseTag(reg.Ref("org/app:1.0.0"))
	found, err := c.AttachmentsOf(context.Background(), []name.Digest{tag.Context().Digest(d)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec := found[oci.AttachedKey(tag.Context().Digest(d))]; len(rec.Signatures) != 1 || len(rec.Attestations) != 1 {
		t.Fatalf("recorded %+v: want a signature and an attestation", rec)
	}
	fallback := "/manifests/" + strings.Replace(d, ":", "-", 1)
	proxy := regtest.FaultProxy(t, reg.URL, regtest.FailPath(regtest.KindManifestGet, fallback, 500, `{"errors":[{"code":"UNKNOWN","message":"injected"}]}`),
		regtest.FailPath(regtest.KindManifestHead, fallback, 500, ""))
	path := writeLedger(t, day, ledger.Image{Ref: proxy.Ref("org/app:1.0.0"), Digest: d, MediaType: imageType, Attached: found[oci.AttachedKey(tag.Context().Digest(d))].Record()})
	r, err := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: fixture.Client(t), Run: command.Run{Jobs: 2, Now: func() time.Time { return day }}, Referrers: true}, false)
	if errkind.ExitCode(err) != 3 || r == nil || r.Refs[0].State != Unknown || !strings.Contains(r.Refs[0].Reason, "could not read what is attached") {
		t.Fatalf("exit %d (%v); %+v: want unknown, exit 3", errkind.ExitCode(err), err, r)
	}
	// A ledger that recorded only the attestation is answered in full by
	// what was read: OK, whatever failed beside it.
	only := writeLedger(t, day, ledger.Image{Ref: proxy.Ref("org/app:1.0.0"), Digest: d, MediaType: imageType, Attached: &ledger.Attached{Attestations: []string{oci.LegacyTag}}})
	r, err = report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{only}, Registry: fixture.Client(t), Run: command.Run{Jobs: 2, Now: func() time.Time { return day }}, Referrers: true}, false)
	if err != nil || r.Refs[0].State != OK {
		t.Errorf("exit %d (%v); %+v: want ok, every recorded kind read", errkind.ExitCode(err), err, r.Refs)
	}
}

// TestEachRepositorysAttachmentsAreItsOwn: one digest in two repositories
// (a promote's usual result), each signed; org/a's signature is deleted.
// audit calls org/a unsigned and org/b ok: one repository's signature
// never answers for another's.
func TestEachRepositorysAttachmentsAreItsOwn(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t, regtest.WithDelete())
	d := regtest.PushImage(t, reg.Ref("org/a:1.0.0")).String()
	c := fixture.Client(t)
	a, _ := refs.ParseTag(reg.Ref("org/a:1.0.0"))
	b, _ := refs.ParseTag(reg.Ref("org/b:1.0.0"))
	if _, err := c.Copy(context.Background(), a.Context().Digest(d), b.Context()); err != nil {
		t.Fatal(err)
	}
	regtest.Tag(t, reg.Ref("org/b@"+d), reg.Ref("org/b:1.0.0"))
	sigA := regtest.SignLegacy(t, reg.Ref("org/a@"+d), ".sig")
	regtest.SignLegacy(t, reg.Ref("org/b@"+d), ".sig")
	signed := &ledger.Attached{Signatures: []string{oci.LegacyTag}}
	path := writeLedger(t, day, ledger.Image{Ref: reg.Ref("org/a:1.0.0"), Digest: d, MediaType: imageType, Attached: signed},
		ledger.Image{Ref: reg.Ref("org/b:1.0.0"), Digest: d, MediaType: imageType, Attached: signed})
	del(t, reg.Ref("org/a@"+sigA.String()))
	r, _ := report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: fixture.Client(t), Run: command.Run{Jobs: 2, Now: func() time.Time { return day }}, Referrers: true}, false)
	states := map[string]State{}
	for _, ref := range r.Refs {
		states[strings.TrimPrefix(ref.Ref, reg.Host+"/")] = ref.State
	}
	if states["org/a:1.0.0"] != Unsigned || states["org/b:1.0.0"] != OK {
		t.Errorf("%v: want org/a unsigned, org/b ok", states)
	}
}

// TestAuditReadsEachPlatformsAttachments: a recorded index whose platform
// images are signed (cosign sign --recursive) and one of them has its
// signature deleted: cosign verify of that platform fails, so audit calls
// the ref unsigned and names the platform, though the index's own
// attachments are untouched. Inline BuildKit attestations recorded for a
// platform are in the index's bytes and never count as lost.
func TestAuditReadsEachPlatformsAttachments(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t, regtest.WithDelete())
	d := regtest.PushIndex(t, reg.Ref("org/app:1.0.0"), "linux/amd64", "linux/arm64").String()
	regtest.SignLegacy(t, reg.Ref("org/app@"+d), ".sig")
	_, raw := regtest.Raw(t, reg.Ref("org/app@"+d))
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := fixture.Client(t)
	tag, _ := refs.ParseTag(reg.Ref("org/app:1.0.0"))
	ds := []name.Digest{tag.Context().Digest(d)}
	sigs := map[string]v1.Hash{}
	for _, m := range idx.Manifests {
		sigs[m.Platform.String()] = regtest.SignLegacy(t, reg.Ref("org/app@"+m.Digest.String()), ".sig")
		ds = append(ds, tag.Context().Digest(m.Digest.String()))
	}
	found, err := c.AttachmentsOf(context.Background(), ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	img := ledger.Image{Ref: reg.Ref("org/app:1.0.0"), Digest: d, MediaType: string(idx.MediaType), Attached: found[oci.AttachedKey(tag.Context().Digest(d))].Record()}
	for _, m := range idx.Manifests {
		a := found[oci.AttachedKey(tag.Context().Digest(m.Digest.String()))]
		a.Attestations = []string{oci.Inline}
		img.Platforms = append(img.Platforms, ledger.Platform{Platform: m.Platform.String(), Digest: m.Digest.String(), Attached: a.Record()})
	}
	path := writeLedger(t, day, img)
	audit := func() (*Report, error) {
		return report.Run(context.Background(), NewPlan, Options{FromLedgers: []string{path}, Registry: fixture.Client(t), Run: command.Run{Jobs: 2, Now: func() time.Time { return day }}, Referrers: true}, false)
	}
	if r, err := audit(); err != nil || r.Blocking() {
		t.Fatalf("signed as recorded: %v, %s %+v", err, r.Summary, r.Refs)
	}
	del(t, reg.Ref("org/app@"+sigs["linux/arm64"].String()))
	r, _ := audit()
	if !r.Blocking() || r.Refs[0].State != Unsigned || !strings.Contains(r.Refs[0].Reason, "its linux/arm64 image's signatures") || strings.Contains(r.Refs[0].Reason, "amd64") {
		t.Errorf("%s; %+v: want unsigned, naming linux/arm64 only", r.Summary, r.Refs)
	}
	// linux/amd64's signature tag answering 500 makes that platform
	// unread; the loss proven on linux/arm64 still decides (exit 1, not
	// 3), and both are named.
	var amd64 string
	for _, m := range idx.Manifests {
		if m.Platform.String() == "linux/amd64" {
			amd64 = strings.Replace(m.Digest.String(), ":", "-", 1) + ".sig"
		}
	}
	proxy := regtest.FaultProxy(t, reg.URL, regtest.FailPath(regtest.KindManifestHead, amd64, 500, ""), regtest.FailPath(regtest.KindManifestGet, amd64, 500, ""))
	img.Ref = proxy.Ref("org/app:1.0.0")
	path = writeLedger(t, day, img)
	r, _ = audit()
	if r.Refs[0].State != Unsigned || !strings.Contains(r.Refs[0].Reason, "linux/arm64 image's signatures") || !strings.Contains(r.Refs[0].Reason, "linux/amd64 image's signatures (recorded: signed (legacy tag); attested (inline BuildKit)) may be in what could not be read") {
		t.Errorf("%s; %+v: want unsigned, naming the loss and the unread platform", r.Summary, r.Refs)
	}
}
