package promote

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/tagguard/tagguard/internal/command"
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
	o := Options{Sources: []string{amd, arm}, Images: []string{target.Ref("org/app:1.0.0"), target.Ref("org/app:latest"), target.Ref("mirror/app:1.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}}
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
		if _, err := report.Run(context.Background(), NewPlan, Options{Sources: sources, Images: images, Registry: fixture.Client(b), Run: command.Run{Jobs: 8}}, false); err != nil {
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

// TestPromoteAsksEachQuestionOnce is the promise "no duplicate request":
// promotes across registries (image sources, and an index source signed
// and attested, whose children, signature and attestation travel) and
// within one repository, with attachments read and carried, send each
// registry request (method and path) once, the ping included. The only
// repeats are reads across the run's own writes: a tag's HEAD in the plan,
// an immutable tag's HEAD right before its PUT and the read-back after it
// (a carried legacy signature tag alike, then read a third time to be
// recorded); a carried referrer and the fallback tag, read before the
// carry and again to be recorded; and, within one repository, the record
// step's reading of what is attached, taken after the tags are written.
func TestPromoteAsksEachQuestionOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		sameRepo, index bool
	}{{"images across registries", false, false}, {"signed index across registries", false, true}, {"one repository", true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			build := regtest.InProcess(t)
			target, repo := regtest.InProcess(t), "org/app"
			if tc.sameRepo {
				target, repo = build, "ci/app"
			}
			sources := []string{pushByDigest(t, build.Host+"/ci/app", "linux/amd64"), pushByDigest(t, build.Host+"/ci/app", "linux/arm64")}
			attestation := ""
			if tc.index {
				sources = []string{pushIndexByDigest(t, build.Host+"/ci/app", "linux/amd64", "linux/arm64", "linux/s390x")}
				regtest.SignLegacy(t, sources[0], ".sig")
				attestation = regtest.Refer(t, sources[0], regtest.InToto).String()
			}
			build.ResetCounts()
			target.ResetCounts()
			o := Options{Sources: sources, Images: []string{target.Ref(repo + ":1.0.0"), target.Ref(repo + ":latest")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}, Referrers: true}
			r, err := report.Run(context.Background(), NewPlan, o, false)
			if err != nil {
				t.Fatal(err)
			}
			readsAcrossWrite := func(req string) int {
				switch {
				case req == "HEAD /v2/"+repo+"/manifests/1.0.0":
					return 3
				case req == "HEAD /v2/"+repo+"/manifests/latest":
					return 2
				case tc.sameRepo && (strings.Contains(req, "/manifests/sha256-") || strings.Contains(req, "/referrers/")):
					return 2
				case tc.index && strings.HasSuffix(req, ".sig"):
					return 3 // a legacy tag the run writes: read before its PUT, read back, read to record
				case tc.index && req == "HEAD /v2/"+repo+"/manifests/"+attestation:
					return 2 // the carried referrer: absent before its copy, present when recorded
				case tc.index && (strings.Contains(req, "/manifests/sha256-") || strings.Contains(req, "/referrers/")):
					return 2 // the fallback tag (and the API's 404): read and updated by the carry, read to record
				case strings.HasSuffix(req, "/blobs/uploads/"):
					return 1 << 30 // each POST there starts an upload of its own
				}
				return 1
			}
			for _, s := range []*regtest.Server{build, target} {
				if c := s.Counts(); c.Ping != 1 {
					t.Errorf("%s: %d pings, want 1", s.Host, c.Ping)
				}
				for req, n := range s.Duplicates() {
					if n > readsAcrossWrite(req) {
						t.Errorf("%s: %q sent %d times", s.Host, req, n)
					}
				}
				if tc.sameRepo {
					break
				}
			}
			// Read last, with a client of its own: what travelled is there.
			if tc.index {
				_, at, _ := strings.Cut(sources[0], "@")
				d, err := name.NewDigest(target.Ref(repo + "@" + at))
				if err != nil {
					t.Fatal(err)
				}
				got, err := fixture.Client(t).Attachments(context.Background(), d)
				if err != nil || len(got.Signatures) == 0 || len(got.Attestations) == 0 {
					t.Errorf("at the target: %+v, %v; want the signature and the attestation carried (%q)", got, err, r.Copies)
				}
			}
		})
	}
}
