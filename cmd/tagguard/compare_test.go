package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/regtest"
)

// promoteRig is issue 21's promote yardstick: 4 per-platform images pushed
// by digest become one index at 4 tags, on the distribution registry in
// token mode (the Bearer flow of GHCR and Docker Hub), every registry 20 ms
// away. With one registry the sources and the tags share a repository (the
// push-by-digest flow of docker/build-push-action); with two the tags go
// to another registry.
type promoteRig struct {
	ts            *regtest.TokenService
	build, target *regtest.Proxy
	seed          *regtest.DistributionServer // the build registry without latency, for seeding
	n             int                         // repositories used so far: each run gets its own
}

const rigUser, rigPassword = "releaser", "releaser-Secret-1"

var rigTags = []string{"1.0.0", "1.0", "1", "latest"}

func newPromoteRig(b testing.TB, registries int) *promoteRig {
	ts := regtest.NewTokenService(b)
	build := regtest.Distribution(b, regtest.WithTokenAuth(ts))
	r := &promoteRig{ts: ts, seed: build, build: regtest.FaultProxy(b, build.URL, regtest.Latency(20*time.Millisecond))}
	r.target = r.build
	if registries == 2 {
		r.target = regtest.FaultProxy(b, regtest.Distribution(b, regtest.WithTokenAuth(ts)).URL, regtest.Latency(20*time.Millisecond))
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
	r.ts.AddUser(rigUser, rigPassword, []string{"pull", "push"}, buildRepo, targetRepo)
	for _, p := range []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/s390x"} {
		d := regtest.As(rigUser, rigPassword).PushImage(b, r.seed.Ref(buildRepo+":seed-"+strings.ReplaceAll(p, "/", "-")), regtest.WithPlatform(p))
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
		r.ts.Reset()
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
			c := p.Counts()
			sum.Ping, sum.ManifestHead, sum.ManifestGet, sum.ManifestPut = sum.Ping+c.Ping, sum.ManifestHead+c.ManifestHead, sum.ManifestGet+c.ManifestGet, sum.ManifestPut+c.ManifestPut
			sum.TagsList, sum.Blob, sum.Other = sum.TagsList+c.TagsList, sum.Blob+c.Blob, sum.Other+c.Other
			for req, k := range p.Duplicates() {
				if !strings.HasSuffix(req, "/blobs/uploads/") { // each POST there starts an upload of its own
					repeats += k - 1
				}
			}
		}
		tokens += len(r.ts.Requests())
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
// crane and regctl check nothing; tagguard runs its guards, reads every
// tag back, and by default reads and carries what is attached to each
// digest (--referrers=false is the like-for-like figure).
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
			b.Run("regctl", func(b *testing.B) {
				regctl := regtest.FindTool(b, "regctl")
				var login []string
				for _, h := range hosts {
					login = append(login, "--host", "reg="+h+",user="+rigUser+",pass="+rigPassword+",tls=disabled")
				}
				rig.measure(b, func(sources []string, repo string) error {
					ctx := context.Background()
					args := append(append([]string{}, login...), "index", "create", repo+":"+rigTags[0])
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
		})
	}
}
