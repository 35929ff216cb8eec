package record

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/report"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestConcurrentRecordUnderSecondaryRateLimit: writer Y
// reads the notes, its write meets a secondary rate limit, and meanwhile
// writer X reads, writes and verifies. Y must not send its stale body
// again: it reads and merges afresh, and both entries end in the notes.
func TestConcurrentRecordUnderSecondaryRateLimit(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	regtest.PushImage(t, srv.Ref("org/app:1.0.0"))
	regtest.PushImage(t, srv.Ref("org/worker:1.0.0"))
	gh := ghtest.New(t, ghtest.WithToken("t0ken-for-tests"))
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Body: "release notes\n"})
	ev := event.Context{Repository: "org/app", Ref: "refs/tags/v1.0.0", SHA: strings.Repeat("c", 40)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	upstream, _ := url.Parse(gh.URL)
	forward := httputil.NewSingleHostReverseProxy(upstream)
	var first sync.Once
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			first.Do(func() {
				// Y has read and is writing: X runs whole in between.
				if _, err := report.Run(ctx, NewPlan, Options{Images: []string{srv.Ref("org/worker:1.0.0")}, Run: command.Run{Event: ev, Now: fixedNow}, Registry: fixture.Client(t), GitHub: fixture.GitHub(t, gh, "t0ken-for-tests")}, false); err != nil {
					t.Errorf("writer X: %v", err)
				}
				gh.FailNext(1, ghtest.SecondaryRateLimit(time.Second))
			})
		}
		forward.ServeHTTP(w, r)
	}))
	defer front.Close()
	y, err := githubapi.New(githubapi.Config{Token: "t0ken-for-tests", BaseURL: front.URL})
	if err != nil {
		t.Fatal(err)
	}

	r, err := report.Run(ctx, NewPlan, Options{Images: []string{srv.Ref("org/app:1.0.0")}, Run: command.Run{Event: ev, Now: fixedNow}, Registry: fixture.Client(t), GitHub: y}, false)
	if err != nil {
		t.Fatalf("writer Y: %v", err)
	}
	rel, _ := gh.Release("org", "app", "v1.0.0")
	l, _, err := ledger.Extract(rel.Body)
	if err != nil || l == nil {
		t.Fatalf("notes: %v\n%s", err, rel.Body)
	}
	var refs []string
	for _, im := range l.Images {
		refs = append(refs, im.Ref)
	}
	if len(refs) != 2 {
		t.Errorf("the notes hold %v after both writers exited 0 (Y: %s): an entry was lost", refs, r.Release.Action)
	}
}

// TestLostEntryIsReportedByName: a writer that drops an entry this step
// merged over (an older tagguard, a hand edit) fails the step loudly,
// naming the refs to re-record, instead of passing.
func TestLostEntryIsReportedByName(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	regtest.PushImage(t, srv.Ref("org/app:1.0.0"))
	regtest.PushImage(t, srv.Ref("org/worker:1.0.0"))
	gh := ghtest.New(t, ghtest.WithToken("t0ken-for-tests"))
	gh.AddRelease("org", "app", ghtest.Release{TagName: "v1.0.0", Body: "release notes\n"})
	ev := event.Context{Repository: "org/app", Ref: "refs/tags/v1.0.0", SHA: strings.Repeat("c", 40)}
	ctx := context.Background()
	direct := fixture.GitHub(t, gh, "t0ken-for-tests")
	if _, err := report.Run(ctx, NewPlan, Options{Images: []string{srv.Ref("org/worker:1.0.0")}, Run: command.Run{Event: ev, Now: fixedNow}, Registry: fixture.Client(t), GitHub: direct}, false); err != nil {
		t.Fatal(err)
	}

	upstream, _ := url.Parse(gh.URL)
	forward := httputil.NewSingleHostReverseProxy(upstream)
	var after sync.Once
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch {
			forward.ServeHTTP(w, r)
			return
		}
		// The answer to this step's write waits until the old writer has
		// written too.
		rec := httptest.NewRecorder()
		forward.ServeHTTP(rec, r)
		defer func() {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		}()
		{
			after.Do(func() {
				// Right after this step's write, an old writer puts back
				// notes that hold only its own entry: worker is gone.
				rel, _ := gh.Release("org", "app", "v1.0.0")
				l := &ledger.Ledger{Schema: ledger.Schema, Created: fixedNow(), Images: []ledger.Image{{Ref: srv.Ref("org/app:1.0.0"), Digest: mustDigest(t, srv.Ref("org/app:1.0.0"))}}}
				body, err := ledger.Upsert("release notes\n", l)
				if err != nil {
					t.Error(err)
				}
				if _, err := direct.EditReleaseBody(ctx, "org", "app", rel.ID, body); err != nil {
					t.Error(err)
				}
			})
		}
	}))
	defer front.Close()
	y, _ := githubapi.New(githubapi.Config{Token: "t0ken-for-tests", BaseURL: front.URL})
	_, err := report.Run(ctx, NewPlan, Options{Images: []string{srv.Ref("org/app:1.0.0")}, Run: command.Run{Event: ev, Now: fixedNow}, Registry: fixture.Client(t), GitHub: y}, false)
	if err == nil || !strings.Contains(err.Error(), "org/worker:1.0.0") || !strings.Contains(err.Error(), "re-record") {
		t.Errorf("err = %v, want a failure naming org/worker:1.0.0 to re-record", err)
	}
}

func mustDigest(t *testing.T, ref string) string {
	t.Helper()
	d, err := fixture.Client(t).Resolve(context.Background(), mustTag(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	return d.Digest.String()
}

func mustTag(t *testing.T, ref string) name.Tag {
	t.Helper()
	tag, err := refs.ParseTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}
