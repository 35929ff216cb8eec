package audit

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/refs"
	"github.com/tagguard/tagguard/internal/report"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestAuditEveryRelease: --from-releases reads every page of the release
// list (250 releases), skips releases without a ledger, notes a broken
// section without failing the rest, and keeps the newest record of
// latest, which every release recorded.
func TestAuditEveryRelease(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	var last string
	for i := range 250 {
		tag := fmt.Sprintf("1.0.%d", i)
		var d string
		if i%50 == 0 { // a few real images; the rest share one digest
			d = regtest.PushImage(t, srv.Ref("org/app:"+tag)).String()
			last = d
		} else {
			regtest.Tag(t, srv.Ref("org/app:1.0.0"), srv.Ref("org/app:"+tag))
			d = last
			if i < 50 {
				d = mustDigest(t, srv.Ref("org/app:1.0.0"))
			}
		}
		body := fixture.NotesWith(t, day.Add(time.Duration(i)*time.Hour),
			ledger.Image{Ref: srv.Ref("org/app:" + tag), Digest: mustDigest(t, srv.Ref("org/app:"+tag)), MediaType: imageType},
			ledger.Image{Ref: srv.Ref("org/app:latest"), Digest: d, MediaType: imageType})
		switch i {
		case 7:
			body = "notes without a ledger"
		case 8:
			body = strings.Replace(body, "tagguard:ledger:end", "tagguard:ledger:stop", 1)
		}
		gh.AddRelease("org", "app", ghtest.Release{TagName: "v" + tag, Body: body, Draft: i == 249, CreatedAt: day.Add(time.Duration(i) * time.Hour)})
	}
	regtest.Tag(t, srv.Ref("org/app:1.0.200"), srv.Ref("org/app:latest"))
	c, _ := githubapi.New(githubapi.Config{Token: "t0ken", BaseURL: gh.URL})
	r, err := report.Run(context.Background(), NewPlan, Options{FromReleases: true, Run: command.Run{Event: event.Context{Repository: "org/app"}, Jobs: 8, Now: func() time.Time { return day.Add(300 * time.Hour) }}, GitHub: c, Registry: fixture.Client(t)}, false)
	// v1.0.8's broken section makes the audit incomplete.
	if errkind.ExitCode(err) != 3 || !strings.HasPrefix(r.Summary, "INCOMPLETE") || !strings.Contains(err.Error(), "v1.0.8") {
		t.Fatalf("exit %d (%v), %s: want 3, INCOMPLETE, naming v1.0.8", errkind.ExitCode(err), err, r.Summary)
	}
	if r.Ledgers != 248 || len(r.Problems) != 1 || !strings.Contains(r.Problems[0].From, "v1.0.8") {
		t.Errorf("%d ledgers, problems %+v: want 248 ledgers and v1.0.8's broken section noted", r.Ledgers, r.Problems)
	}
	states := map[State]int{}
	for _, x := range r.Refs {
		states[x.State]++
		if strings.HasSuffix(x.Ref, ":latest") && x.From != "release v1.0.249" {
			t.Errorf("latest from %s: want the newest record, the draft v1.0.249", x.From)
		}
	}
	if len(r.Refs) != 249 {
		t.Errorf("%d refs, want 248 version tags and latest", len(r.Refs))
	}
	pages := 0
	for _, q := range gh.Requests() {
		if strings.Contains(q.String(), "/releases") {
			pages++
		}
	}
	if pages != 3 {
		t.Errorf("%d release requests, want 3 pages", pages)
	}
	t.Logf("states %v; %s", states, r.Summary)
}

func mustDigest(t testing.TB, ref string) string {
	t.Helper()
	c := fixture.Client(t)
	tag, err := refs.ParseTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Resolve(context.Background(), tag)
	if err != nil {
		t.Fatal(err)
	}
	return d.Digest.String()
}

// seedReleases makes n releases × 5 refs (a version tag, its major.minor
// and major, latest, and a per-release build tag), every ref at one
// digest, in a registry 20 ms away and GitHub's release list.
func seedReleases(b *testing.B, n int) (*regtest.Server, *ghtest.Server) {
	b.Helper()
	srv := regtest.InProcess(b) // seeded at once, then 20 ms away
	d := regtest.PushImage(b, srv.Ref("org/app:base")).String()
	gh := ghtest.New(b, ghtest.WithToken("t0ken"))
	refs := map[string]bool{}
	for i := range n {
		v := fmt.Sprintf("%d.%d.%d", i/100, (i/10)%10, i%10)
		var images []ledger.Image
		for _, tag := range []string{v, fmt.Sprintf("%d.%d", i/100, (i/10)%10), fmt.Sprint(i / 100), "latest", fmt.Sprintf("build-%d", i)} {
			images = append(images, ledger.Image{Ref: srv.Ref("org/app:" + tag), Digest: d, MediaType: imageType})
			if !refs[tag] {
				refs[tag] = true
				regtest.Tag(b, srv.Ref("org/app:base"), srv.Ref("org/app:"+tag))
			}
		}
		gh.AddRelease("org", "app", ghtest.Release{TagName: "v" + v, Body: fixture.NotesWith(b, day.Add(time.Duration(i)*time.Minute), images...)})
	}
	srv.SetLatency(20 * time.Millisecond)
	return srv, gh
}

// BenchmarkAudit: N releases × 5 refs (a version tag, its major.minor and
// major, latest, and a per-release build tag), all ok, at 20 ms registry
// latency and jobs 8. Reports registry and GitHub requests and the heap
// in use after the run: flat in the number of releases, since release
// pages are streamed and only the newest record of each ref is kept.
func BenchmarkAudit(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("releases=%d", n), func(b *testing.B) {
			srv, gh := seedReleases(b, n)
			c, _ := githubapi.New(githubapi.Config{Token: "t0ken", BaseURL: gh.URL})
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				srv.ResetCounts()
				before := len(gh.Requests())
				r, err := report.Run(context.Background(), NewPlan, Options{FromReleases: true, Run: command.Run{Event: event.Context{Repository: "org/app"}, Jobs: 8}, GitHub: c, Registry: fixture.Client(b)}, false)
				if err != nil || r.Blocking() {
					b.Fatalf("%v %s", err, r.Summary)
				}
				b.ReportMetric(float64(srv.Counts().Total()), "registry-requests")
				b.ReportMetric(float64(len(gh.Requests())-before), "github-requests")
				b.ReportMetric(float64(len(r.Refs)), "refs")
			}
			b.StopTimer()
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			b.ReportMetric(float64(m.HeapInuse)/(1<<20), "MiB-heap-after")
		})
	}
}
