package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/cli"
	"github.com/tagguard/tagguard/internal/regtest"
)

// promoteRig is the promote yardstick: 4 per-platform images pushed
// by digest become one index at 4 tags, on the distribution registry in
// token mode (the Bearer flow of GHCR and Docker Hub), every registry 20 ms
// away. With one registry the sources and the tags share a repository (the
// push-by-digest flow of docker/build-push-action); with two the tags go
// to another registry.
type promoteRig struct {
	ts            []*regtest.TokenService // one per registry: a token of one is worthless at the other
	build, target *regtest.Proxy
	seed          *regtest.DistributionServer // the build registry without latency, for seeding
	n             int                         // repositories used so far: each run gets its own
}

const rigUser, rigPassword = "releaser", "releaser-Secret-1"

var rigTags = []string{"1.0.0", "1.0", "1", "latest"}

func newPromoteRig(b testing.TB, registries int) *promoteRig {
	ts := regtest.NewTokenService(b)
	build := regtest.Distribution(b, regtest.WithTokenAuth(ts))
	r := &promoteRig{ts: []*regtest.TokenService{ts}, seed: build, build: regtest.FaultProxy(b, build.URL, regtest.Latency(20*time.Millisecond))}
	r.target = r.build
	if registries == 2 {
		ts2 := regtest.NewTokenService(b)
		r.ts = append(r.ts, ts2)
		r.target = regtest.FaultProxy(b, regtest.Distribution(b, regtest.WithTokenAuth(ts2)).URL, regtest.Latency(20*time.Millisecond))
	}
	return r
}

// next seeds a new build repository and returns the sources and the
// target repository of one run.
func (r *promoteRig) next(b testing.TB) (sources []string, target string) {
	r.n++
	buildRepo, targetRepo := fmt.Sprintf("ci/app%d", r.n), fmt.Sprintf("ci/app%d", r.n)
	if r.target != r.build {
		targetRepo = fmt.Sprintf("org/app%d", r.n)
	}
	for _, ts := range r.ts {
		ts.AddUser(rigUser, rigPassword, []string{"pull", "push"}, buildRepo, targetRepo)
	}
	for _, p := range []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/s390x"} {
		pusher := regtest.As(rigUser, rigPassword)
		d := pusher.PushImage(b, r.seed.Ref(buildRepo+":seed-"+strings.ReplaceAll(p, "/", "-")), regtest.WithPlatform(p))
		// Each image signed (cosign's legacy tag) and attested (a
		// referrer, in the fallback tag): what a release carries along.
		pusher.SignLegacy(b, r.seed.Ref(buildRepo+"@"+d.String()), ".sig")
		pusher.Refer(b, r.seed.Ref(buildRepo+"@"+d.String()), regtest.InToto)
		sources = append(sources, r.build.Ref(buildRepo+"@"+d.String()))
	}
	return sources, r.target.Ref(targetRepo)
}

// measure runs promote once per iteration and reports its time, its
// requests by kind on every registry, its tokens, and how many requests
// repeated one already sent (method and path).
func (r *promoteRig) measure(b *testing.B, promote func(sources []string, repo string) error) {
	var took time.Duration
	var sum regtest.Counts
	var tokens, repeats, runs int
	for b.Loop() {
		b.StopTimer()
		sources, repo := r.next(b)
		r.build.ResetCounts()
		r.target.ResetCounts()
		for _, ts := range r.ts {
			ts.Reset()
		}
		b.StartTimer()
		start := time.Now()
		if err := promote(sources, repo); err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		proxies := []*regtest.Proxy{r.build}
		if r.target != r.build {
			proxies = append(proxies, r.target)
		}
		for _, p := range proxies {
			sum = sum.Plus(p.Counts())
			for req, k := range p.Duplicates() {
				if !strings.HasSuffix(req, "/blobs/uploads/") { // each POST there starts an upload of its own
					repeats += k - 1
				}
			}
		}
		for _, ts := range r.ts {
			tokens += len(ts.Requests())
		}
		runs++
	}
	per := func(n int) float64 { return float64(n) / float64(runs) }
	b.ReportMetric(float64(took.Milliseconds())/float64(runs), "ms/promote")
	b.ReportMetric(per(sum.Total()), "requests")
	b.ReportMetric(per(sum.Ping), "pings")
	b.ReportMetric(per(tokens), "tokens")
	b.ReportMetric(per(sum.ManifestHead), "HEADs")
	b.ReportMetric(per(sum.ManifestGet), "GETs")
	b.ReportMetric(per(sum.ManifestPut), "PUTs")
	b.ReportMetric(per(sum.Blob), "blobs")
	b.ReportMetric(per(sum.TagsList+sum.Other), "other")
	b.ReportMetric(per(repeats), "repeats")
}

// BenchmarkPromoteAcrossRegistries compares tagguard promote with the real
// crane and regctl (.ci/bench installs them; each is skipped when not on
// PATH), every tool run as a process, as a release script would:
//
//	tagguard promote --sources SRC,… --images TARGET:1.0.0,…
//	crane index append -m SRC… -t TARGET:1.0.0; crane tag TARGET:1.0.0 T (×3)
//	regctl index create TARGET:1.0.0 --ref SRC…; regctl image copy TARGET:1.0.0 TARGET:T (×3)
//
// Every source is signed and attested. crane and regctl check nothing;
// tagguard runs its guards, reads every tag back, and by default reads and
// carries what is attached to each digest: --referrers=false is the
// like-for-like figure beside crane and plain regctl, and regctl
// --referrers --digest-tags the one beside tagguard's default.
func BenchmarkPromoteAcrossRegistries(b *testing.B) {
	for _, registries := range []int{1, 2} {
		b.Run(fmt.Sprintf("registries=%d", registries), func(b *testing.B) {
			rig := newPromoteRig(b, registries)
			hosts := []string{rig.build.Host, rig.target.Host}
			for _, referrers := range []bool{false, true} {
				b.Run(fmt.Sprintf("tagguard/referrers=%v", referrers), func(b *testing.B) {
					tg := regtest.Tool{Path: os.Args[0], Home: b.TempDir(), Env: []string{"TAGGUARD_TEST_AS_BINARY=1"}}
					rig.measure(b, func(sources []string, repo string) error {
						var images []string
						for _, t := range rigTags {
							images = append(images, repo+":"+t)
						}
						args := []string{"promote", "-q", "--jobs", "8", fmt.Sprintf("--referrers=%v", referrers),
							"--sources", strings.Join(sources, ","), "--images", strings.Join(images, ",")}
						for _, h := range hosts {
							args = append(args, "--registry-auth", h+"="+rigUser+":"+rigPassword)
						}
						return tg.Run(context.Background(), args...)
					})
				})
			}
			b.Run("crane", func(b *testing.B) {
				crane := regtest.FindTool(b, "crane")
				crane.Login(b, rigUser, rigPassword, hosts...)
				rig.measure(b, func(sources []string, repo string) error {
					ctx := context.Background()
					args := []string{"index", "append", "-t", repo + ":" + rigTags[0]}
					for _, s := range sources {
						args = append(args, "-m", s)
					}
					if err := crane.Run(ctx, args...); err != nil {
						return err
					}
					for _, t := range rigTags[1:] {
						if err := crane.Run(ctx, "tag", repo+":"+rigTags[0], t); err != nil {
							return err
						}
					}
					return nil
				})
			})
			for _, carry := range []bool{false, true} {
				regctlRun(b, rig, hosts, carry)
			}
		})
	}
}

// regctlRun measures regctl's promote; with carry, `index create
// --referrers --digest-tags` also copies each source's referrers and
// cosign's legacy tags (the work tagguard does by default).
func regctlRun(b *testing.B, rig *promoteRig, hosts []string, carry bool) {
	label := "regctl"
	if carry {
		label += "/referrers+digest-tags"
	}
	b.Run(label, func(b *testing.B) {
		regctl := regtest.FindTool(b, "regctl")
		var login []string
		for _, h := range hosts {
			login = append(login, "--host", "reg="+h+",user="+rigUser+",pass="+rigPassword+",tls=disabled")
		}
		rig.measure(b, func(sources []string, repo string) error {
			ctx := context.Background()
			args := append(append([]string{}, login...), "index", "create", repo+":"+rigTags[0])
			if carry {
				args = append(args, "--referrers", "--digest-tags")
			}
			for _, s := range sources {
				args = append(args, "--ref", s)
			}
			if err := regctl.Run(ctx, args...); err != nil {
				return err
			}
			for _, t := range rigTags[1:] {
				if err := regctl.Run(ctx, append(append([]string{}, login...), "image", "copy", repo+":"+rigTags[0], repo+":"+t)...); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// TestPromoteAcrossTokenRegistries: an index source, signed and attested,
// promoted into another registry with what is attached to it, each
// registry behind a token service of its own (a token of one is worthless
// at the other), as from a build registry to GHCR or ECR.
// Each registry is pinged once; the build registry issues one pull token,
// the target one pull and one push token (no 401 per blob from a mount
// across registries); no request repeats but a tag's reads across its
// write.
func TestPromoteAcrossTokenRegistries(t *testing.T) {
	t.Parallel()
	rig := newPromoteRig(t, 2)
	rig.n = 1000
	sources, repo := rig.next(t)
	pusher := regtest.As(rigUser, rigPassword)
	idx := pusher.PushIndex(t, rig.seed.Ref("ci/app1001:index"), "linux/amd64", "linux/arm64")
	pusher.SignLegacy(t, rig.seed.Ref("ci/app1001@"+idx.String()), ".sig")
	attestation := pusher.Refer(t, rig.seed.Ref("ci/app1001@"+idx.String()), regtest.InToto)
	sources = []string{rig.build.Ref("ci/app1001@" + idx.String())}
	rig.build.ResetCounts()
	rig.target.ResetCounts()
	for _, ts := range rig.ts {
		ts.Reset()
	}
	args := []string{"promote", "-q", "--sources", sources[0], "--images", repo + ":1.0.0," + repo + ":latest"}
	for _, h := range []string{rig.build.Host, rig.target.Host} {
		args = append(args, "--registry-auth", h+"="+rigUser+":"+rigPassword)
	}
	var stderr strings.Builder
	if code := cli.Main(context.Background(), args, io.Discard, &stderr, func(string) string { return "" }); code != 0 {
		t.Fatalf("promote exit %d: %s", code, stderr.String())
	}
	for i, want := range []int{1, 2} {
		if got := rig.ts[i].Requests(); len(got) != want {
			t.Errorf("registry %d: %d tokens, want %d: %+v", i+1, len(got), want, got)
		}
	}
	_, path, _ := strings.Cut(repo, "/")
	for _, p := range []*regtest.Proxy{rig.build, rig.target} {
		if c := p.Counts(); c.Ping != 1 {
			t.Errorf("%s: %d pings, want 1", p.Host, c.Ping)
		}
		for req, n := range p.Duplicates() {
			// A tag's HEADs: before, (an immutable one) right before its
			// PUT, and the read-back; one more where the distribution
			// registry answers the HEAD of a tag written a moment before
			// with a 500 (seen now and then; the retry reads it).
			allowed := map[string]int{
				"HEAD /v2/" + path + "/manifests/1.0.0":                                                  4,
				"HEAD /v2/" + path + "/manifests/latest":                                                 3,
				"HEAD /v2/" + path + "/manifests/" + strings.Replace(idx.String(), ":", "-", 1) + ".sig": 3, // before its PUT, read back, recorded
				"HEAD /v2/" + path + "/manifests/" + attestation.String():                                2, // before its copy, recorded
				"GET /v2/" + path + "/manifests/" + strings.Replace(idx.String(), ":", "-", 1):           2, // updated by the carry, recorded
				"GET /v2/" + path + "/referrers/" + idx.String():                                         2, // go-containerregistry's probe, recorded
			}[req]
			if strings.HasSuffix(req, "/blobs/uploads/") || n <= allowed {
				continue
			}
			t.Errorf("%s: %q sent %d times", p.Host, req, n)
		}
	}
}
