package promote

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
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

// BenchmarkPromoteAcrossRegistries is issue 21's promote yardstick: 4
// per-platform images pushed by digest to a build registry become one
// index at 4 tags in another registry, each registry 20 ms away. Beside
// tagguard runs what `crane index append -m … -t TAG` and three `crane
// tag` do, with the same go-containerregistry calls crane makes (a Get and
// the config of each source, WriteIndex, then a Get and a Tag per tag) and
// no guard. Requests are counted on both registries.
func BenchmarkPromoteAcrossRegistries(b *testing.B) {
	build := regtest.InProcess(b, regtest.WithLatency(20*time.Millisecond))
	target := regtest.InProcess(b, regtest.WithLatency(20*time.Millisecond))
	platforms := []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/s390x"}
	n := 0 // every run gets repositories of its own, in both registries
	run := func(b *testing.B, promote func(sources []string, repo string) error) {
		var took time.Duration
		var total, heads, gets, blobs, runs int
		for b.Loop() {
			n++
			var sources []string
			for _, p := range platforms {
				sources = append(sources, pushByDigest(b, build.Host+fmt.Sprintf("/ci/app%d", n), p))
			}
			repo := target.Host + fmt.Sprintf("/org/app%d", n)
			build.ResetCounts()
			target.ResetCounts()
			start := time.Now()
			if err := promote(sources, repo); err != nil {
				b.Fatal(err)
			}
			took += time.Since(start)
			bc, tc := build.Counts(), target.Counts()
			total, heads, gets, blobs = total+bc.Total()+tc.Total(), heads+bc.ManifestHead+tc.ManifestHead, gets+bc.ManifestGet+tc.ManifestGet, blobs+bc.Blob+tc.Blob
			runs++
		}
		b.ReportMetric(float64(took.Milliseconds())/float64(runs), "ms/promote")
		b.ReportMetric(float64(total)/float64(runs), "requests")
		b.ReportMetric(float64(heads)/float64(runs), "HEADs")
		b.ReportMetric(float64(gets)/float64(runs), "GETs")
		b.ReportMetric(float64(blobs)/float64(runs), "blobs")
	}
	tags := []string{"1.0.0", "1.0", "1", "latest"}
	for _, referrers := range []bool{false, true} {
		b.Run(fmt.Sprintf("tagguard/referrers=%v", referrers), func(b *testing.B) {
			run(b, func(sources []string, repo string) error {
				var images []string
				for _, t := range tags {
					images = append(images, repo+":"+t)
				}
				_, err := report.Run(context.Background(), NewPlan, Options{Sources: sources, Images: images, Registry: fixture.Client(b), Jobs: 8, Referrers: referrers}, false)
				return err
			})
		})
	}
	b.Run("crane-equivalent", func(b *testing.B) {
		run(b, func(sources []string, repo string) error {
			var adds []mutate.IndexAddendum
			for _, s := range sources {
				ref, err := name.ParseReference(s)
				if err != nil {
					return err
				}
				d, err := remote.Get(ref)
				if err != nil {
					return err
				}
				img, err := d.Image()
				if err != nil {
					return err
				}
				cf, err := img.ConfigFile()
				if err != nil {
					return err
				}
				desc := d.Descriptor
				desc.Platform = cf.Platform()
				adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: desc})
			}
			first, err := name.ParseReference(repo + ":" + tags[0])
			if err != nil {
				return err
			}
			if err := remote.WriteIndex(first, mutate.AppendManifests(empty.Index, adds...)); err != nil {
				return err
			}
			for _, t := range tags[1:] {
				d, err := remote.Get(first)
				if err != nil {
					return err
				}
				if err := remote.Tag(first.Context().Tag(t), d); err != nil {
					return err
				}
			}
			return nil
		})
	})
}
