package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/cli"
	"github.com/tagguard/tagguard/internal/regtest"
)

// BenchmarkCheckAgainstFloor is the yardstick for check: refs
// spread evenly over repositories (one repository after another on the
// command line) and registries, on the distribution registry in token mode
// (the Bearer flow of GHCR and Docker Hub), every registry 20 ms away, at
// --jobs 8. "floor" is the fastest plausible client for the same work,
// written here with net/http alone: one ping per registry, every
// repository's token at once, then one HEAD per ref, 8 in flight, on
// keep-alive connections. The ratio of the two wall times is the figure.
// At the main size (1,000 refs, 10 repositories, 1 registry) the real
// crane and regctl run too (.ci/bench installs them; skipped when not on
// PATH), as a script would call them: one process per ref, 8 at a time
// (xargs -P8 crane digest / regctl image digest).
func BenchmarkCheckAgainstFloor(b *testing.B) {
	for _, size := range []struct {
		refs, repos, registries int
		process, tools          bool
	}{
		{1000, 10, 1, true, true}, {100, 10, 1, false, false}, {1000, 1, 1, false, false}, {1000, 100, 1, false, false}, {1000, 10, 2, false, false},
		{10000, 100, 1, true, false}, // the scale of a monorepo's matrix, read from --images-file
	} {
		b.Run(fmt.Sprintf("refs=%d/repos=%d/registries=%d", size.refs, size.repos, size.registries), func(b *testing.B) {
			benchCheck(b, size.refs, size.repos, size.registries, size.process, size.tools)
		})
	}
}

func benchCheck(b *testing.B, nrefs, nrepos, nregistries int, process, tools bool) {
	const user, password = "reader", "reader-Secret-1"
	var repos []string
	for i := range nrepos {
		repos = append(repos, fmt.Sprintf("org/r%d", i))
	}
	var proxies []*regtest.Proxy
	var services []*regtest.TokenService // one per registry: a token of one is worthless at another
	for range nregistries {
		ts := regtest.NewTokenService(b)
		ts.AddUser(user, password, []string{"pull"}, repos...)
		reg := regtest.Distribution(b, regtest.WithTokenAuth(ts))
		proxies = append(proxies, regtest.FaultProxy(b, reg.URL, regtest.Latency(20*time.Millisecond)))
		services = append(services, ts)
	}
	tokens := func() int {
		n := 0
		for _, ts := range services {
			n += len(ts.Requests())
		}
		return n
	}
	var refs []string
	perRepo := nrefs / nrepos
	for i := range nrefs {
		repo := i / perRepo
		px := proxies[repo*nregistries/nrepos]
		refs = append(refs, px.Ref(fmt.Sprintf("%s:build-%d", repos[repo], i)))
	}
	report := func(b *testing.B, start time.Time) {
		b.ReportMetric(time.Since(start).Seconds(), "wall-s")
		var c regtest.Counts
		for _, px := range proxies {
			c = c.Plus(px.Counts())
		}
		b.ReportMetric(float64(c.Total()), "registry-requests")
		b.ReportMetric(float64(c.Ping), "pings")
		b.ReportMetric(float64(c.ManifestHead), "HEADs")
		b.ReportMetric(float64(c.ManifestGet), "GETs")
		b.ReportMetric(float64(tokens()), "tokens")
	}
	reset := func() {
		for _, px := range proxies {
			px.ResetCounts()
		}
		for _, ts := range services {
			ts.Reset()
		}
	}
	var hosts []string
	for _, px := range proxies {
		hosts = append(hosts, px.Host)
	}
	args := []string{"check", "-q", "--jobs", "8", "--images", strings.Join(refs, ",")}
	for _, h := range hosts {
		args = append(args, "--registry-auth="+h+"="+user+":"+password)
	}
	// In the benchmark's process, as the floor is: the ratio of the two is
	// the client's own cost.
	b.Run("tagguard", func(b *testing.B) {
		for b.Loop() {
			reset()
			start := time.Now()
			if code := cli.Main(context.Background(), args, io.Discard, io.Discard, func(string) string { return "" }); code != 0 {
				b.Fatalf("check exit %d", code)
			}
			report(b, start)
		}
	})
	b.Run("floor", func(b *testing.B) {
		for b.Loop() {
			reset()
			start := time.Now()
			if err := floorCheck(user, password, refs, 8); err != nil {
				b.Fatal(err)
			}
			report(b, start)
		}
	})
	if !process {
		return
	}
	// A process of its own, as crane and regctl are: the test binary runs
	// as tagguard (TestMain), its start and its competition for the two
	// cores with the registry counted, and its peak RSS. The refs go in as
	// a user's 10,000 would: through --images-file (one argument holds
	// 128 KiB at most).
	b.Run("tagguard-process", func(b *testing.B) {
		tg := regtest.Tool{Path: os.Args[0], Home: b.TempDir(), Env: []string{"TAGGUARD_TEST_AS_BINARY=1"}}
		list := filepath.Join(b.TempDir(), "images.txt")
		if err := os.WriteFile(list, []byte(strings.Join(refs, "\n")+"\n"), 0o600); err != nil {
			b.Fatal(err)
		}
		pargs := []string{"check", "-q", "--jobs", "8", "--images-file", list}
		for _, h := range hosts {
			pargs = append(pargs, "--registry-auth="+h+"="+user+":"+password)
		}
		for b.Loop() {
			reset()
			start := time.Now()
			rss, err := tg.RunMeasured(context.Background(), pargs...)
			if err != nil {
				b.Fatal(err)
			}
			report(b, start)
			b.ReportMetric(float64(rss)/(1<<20), "MiB-peak-RSS")
		}
	})
	if !tools {
		return
	}
	// One process per ref, 8 at a time; a ref that is not there is the
	// answer check wants (the tool exits non-zero saying so).
	perRef := func(b *testing.B, tool regtest.Tool, args func(ref string) []string) {
		for b.Loop() {
			reset()
			start := time.Now()
			errs := make(chan error, len(refs))
			sem := make(chan struct{}, 8)
			var wg sync.WaitGroup
			for _, r := range refs {
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					if err := tool.Run(context.Background(), args(r)...); err != nil && !strings.Contains(strings.ToLower(err.Error()), "manifest unknown") && !strings.Contains(err.Error(), "not found") {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
			// Every failure above said the ref is absent; that the tool
			// asked the registry each time is seen on the wire.
			var asked regtest.Counts
			for _, px := range proxies {
				asked = asked.Plus(px.Counts())
			}
			if n := asked.ManifestHead + asked.ManifestGet; n < len(refs) || tokens() == 0 {
				b.Fatalf("%d manifest requests and %d tokens for %d refs: the tool did not reach the registry", n, tokens(), len(refs))
			}
			report(b, start)
		}
	}
	b.Run("crane", func(b *testing.B) {
		crane := regtest.FindTool(b, "crane")
		crane.Login(b, user, password, hosts...)
		perRef(b, crane, func(ref string) []string { return []string{"digest", ref} })
	})
	b.Run("regctl", func(b *testing.B) {
		regctl := regtest.FindTool(b, "regctl")
		var login []string
		for _, h := range hosts {
			login = append(login, "--host", "reg="+h+",user="+user+",pass="+password+",tls=disabled")
		}
		perRef(b, regctl, func(ref string) []string { return append(append([]string{}, login...), "image", "digest", ref) })
	})
}

var challengeParam = regexp.MustCompile(`(\w+)="([^"]*)"`)

// floorCheck is the least a client can do to learn whether each ref
// exists: a fresh client (as a new process has), one ping per registry,
// one token per repository (all at once), one HEAD per ref with jobs in
// flight.
func floorCheck(user, password string, refs []string, jobs int) error {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = jobs
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	type ref struct{ host, repo, tag string }
	var parsed []ref
	challenges := map[string]map[string]string{} // host → the challenge's parameters
	tokens := map[string]string{}                // host/repo → token
	for _, r := range refs {
		host, path, _ := strings.Cut(r, "/")
		repo, tag, _ := strings.Cut(path, ":")
		parsed = append(parsed, ref{host, repo, tag})
		challenges[host] = nil
		tokens[host+"/"+repo] = ""
	}
	for host := range challenges {
		resp, err := client.Get("http://" + host + "/v2/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		params := map[string]string{}
		for _, m := range challengeParam.FindAllStringSubmatch(resp.Header.Get("WWW-Authenticate"), -1) {
			params[m[1]] = m[2]
		}
		challenges[host] = params
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(tokens)+len(refs))
	for key := range tokens {
		host, repo, _ := strings.Cut(key, "/")
		params := challenges[host]
		wg.Go(func() {
			q := url.Values{"service": {params["service"]}, "scope": {"repository:" + repo + ":pull"}}
			req, _ := http.NewRequest(http.MethodGet, params["realm"]+"?"+q.Encode(), nil)
			req.SetBasicAuth(user, password)
			resp, err := client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var body struct {
				Token string `json:"token"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				errs <- err
				return
			}
			mu.Lock()
			tokens[key] = body.Token
			mu.Unlock()
		})
	}
	wg.Wait()
	sem := make(chan struct{}, jobs)
	for _, r := range parsed {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			req, _ := http.NewRequest(http.MethodHead, "http://"+r.host+"/v2/"+r.repo+"/manifests/"+r.tag, nil)
			req.Header.Set("Authorization", "Bearer "+tokens[r.host+"/"+r.repo])
			req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json")
			resp, err := client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
				errs <- fmt.Errorf("HEAD %s/%s:%s: %s", r.host, r.repo, r.tag, resp.Status)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}
