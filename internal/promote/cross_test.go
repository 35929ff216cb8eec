package promote

import (
	"context"
	"fmt"
	"strings"

	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/report"

	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/regtest"
)

// TestPromoteAcrossRegistries: the sources were pushed to one registry,
// the tags go to another. The target receives what it lacks by the same
// digests, each blob once; a re-run sends no blob and writes nothing.
func TestPromoteAcrossRegistries(t *testing.T) {
	t.Parallel()
	build := regtest.Distribution(t)
	target := regtest.FaultProxy(t, regtest.Distribution(t).URL)
	amd, arm := pushByDigest(t, build.Host+"/ci/app", "linux/amd64"), pushByDigest(t, build.Host+"/ci/app", "linux/arm64")
	o := Options{Sources: []string{amd, arm}, Images: []string{target.Ref("org/app:1.0.0"), target.Ref("org/app:latest"), target.Ref("mirror/app:1.0.0")}, Registry: fixture.Client(t), Jobs: 4}
	r, err := report.Run(context.Background(), NewPlan, o, false)
	if err != nil {
		t.Fatalf("promote: %v\n%+v", err, r)
	}
	for _, ref := range []string{"org/app:1.0.0", "org/app:latest", "mirror/app:1.0.0"} {
		if d, _ := regtest.Raw(t, target.Ref(ref)); d != r.Published.Digest {
			t.Errorf("%s at %s, want %s", ref, d, r.Published.Digest)
		}
	}
	first := target.Counts()
	// Two images: two layers and two configs. Each blob crosses into the
	// target registry once (HEAD, POST, PATCH, PUT) and is mounted into its
	// second repository from the first (HEAD, mount POST): 4×4 + 4×2.
	if first.Blob > 4*4+4*2 {
		t.Errorf("first run: %d blob requests for 4 blobs into 2 repositories", first.Blob)
	}
	t.Logf("cross-registry promote of 2 sources to 3 tags in 2 repositories: %+v", first)

	target.ResetCounts()
	again, err := report.Run(context.Background(), NewPlan, o, false)
	if err != nil {
		t.Fatal(err)
	}
	c := target.Counts()
	if c.Blob != 0 || c.ManifestPut != 0 {
		t.Errorf("re-run: %+v; want no blob and no write", c)
	}
	for _, tg := range again.Targets {
		if tg.State != Unchanged {
			t.Errorf("re-run: %+v", tg)
		}
	}
}

// BenchmarkPromote: P=2 platform sources to T=4 tags in one repository,
// all new, at 20 ms latency; reports the requests by kind. The minimum the
// issue names: P GETs (+ config blobs) + child HEADs, 1 PUT for the index,
// T HEADs (plan) + T HEADs (re-check of immutable tags) + T PUTs + T HEADs
// (read-back), plus the tag list for floating tags.
func BenchmarkPromote(b *testing.B) {
	srv := regtest.InProcess(b, regtest.WithLatency(20*time.Millisecond))
	for i := range b.N {
		repo := srv.Host + fmt.Sprintf("/org/app%d", i)
		sources := []string{pushByDigest(b, repo, "linux/amd64"), pushByDigest(b, repo, "linux/arm64")}
		images := []string{repo + ":1.0.0", repo + ":1.0", repo + ":1", repo + ":latest"}
		srv.ResetCounts()
		start := time.Now()
		if _, err := report.Run(context.Background(), NewPlan, Options{Sources: sources, Images: images, Registry: fixture.Client(b), Jobs: 8}, false); err != nil {
			b.Fatal(err)
		}
		c := srv.Counts()
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/promote")
		b.ReportMetric(float64(c.Total()), "requests")
		b.ReportMetric(float64(c.ManifestHead), "HEADs")
		b.ReportMetric(float64(c.ManifestGet), "GETs")
		b.ReportMetric(float64(c.ManifestPut), "PUTs")
		b.ReportMetric(float64(c.Blob), "blobs")
		b.ReportMetric(float64(c.TagsList), "taglists")
	}
}

// TestPromoteAsksEachQuestionOnce is issue 21's "no duplicate request": a
// promote across registries and one within a single repository, with
// attachments read and carried, send each registry request (method and
// path) once, the ping included. The only repeats are the reads of a tag
// across its own write: the plan's HEAD, an immutable tag's HEAD right
// before its PUT, and the read-back after it.
func TestPromoteAsksEachQuestionOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		sameRepo bool
	}{{"across registries", false}, {"one repository", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			build := regtest.InProcess(t)
			target, repo := regtest.InProcess(t), "org/app"
			if tc.sameRepo {
				target, repo = build, "ci/app"
			}
			sources := []string{pushByDigest(t, build.Host+"/ci/app", "linux/amd64"), pushByDigest(t, build.Host+"/ci/app", "linux/arm64")}
			build.ResetCounts()
			target.ResetCounts()
			o := Options{Sources: sources, Images: []string{target.Ref(repo + ":1.0.0"), target.Ref(repo + ":latest")}, Registry: fixture.Client(t), Jobs: 4, Referrers: true}
			if _, err := report.Run(context.Background(), NewPlan, o, false); err != nil {
				t.Fatal(err)
			}
			readsAcrossWrite := map[string]int{"HEAD /v2/" + repo + "/manifests/1.0.0": 3, "HEAD /v2/" + repo + "/manifests/latest": 2}
			for _, s := range []*regtest.Server{build, target} {
				if c := s.Counts(); c.Ping != 1 {
					t.Errorf("%s: %d pings, want 1", s.Host, c.Ping)
				}
				for req, n := range s.Duplicates() {
					if strings.HasSuffix(req, "/blobs/uploads/") || n <= readsAcrossWrite[req] {
						continue // each POST there starts an upload of its own
					}
					t.Errorf("%s: %q sent %d times", s.Host, req, n)
				}
				if tc.sameRepo {
					break
				}
			}
		})
	}
}
