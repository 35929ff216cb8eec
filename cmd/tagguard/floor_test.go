package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/cli"
	"github.com/tagguard/tagguard/internal/regtest"
)

// BenchmarkCheckAgainstFloor is issue 21's yardstick for check: 1,000 refs
// in 10 repositories (100 each, one repository after another on the
// command line) on the distribution registry in token mode, behind 20 ms
// of latency, at --jobs 8. "floor" is the fastest plausible client for the
// same work, written here with net/http alone: one ping, every
// repository's token at once, then one HEAD per ref, 8 in flight, on
// keep-alive connections. The ratio of the two wall times is the figure.
func BenchmarkCheckAgainstFloor(b *testing.B) {
	const user, password = "reader", "reader-Secret-1"
	ts := regtest.NewTokenService(b)
	var repos []string
	for i := range 10 {
		repos = append(repos, fmt.Sprintf("org/r%d", i))
	}
	ts.AddUser(user, password, []string{"pull"}, repos...)
	reg := regtest.Distribution(b, regtest.WithTokenAuth(ts))
	px := regtest.FaultProxy(b, reg.URL, regtest.Latency(20*time.Millisecond))
	var refs []string
	for i := range 1000 {
		refs = append(refs, px.Ref(fmt.Sprintf("%s:build-%d", repos[i/100], i)))
	}
	report := func(b *testing.B, start time.Time) {
		b.ReportMetric(time.Since(start).Seconds(), "wall-s")
		b.ReportMetric(float64(px.Counts().Total()), "registry-requests")
		b.ReportMetric(float64(len(ts.Requests())), "tokens")
	}
	b.Run("tagguard", func(b *testing.B) {
		args := []string{"check", "--registry-auth=" + px.Host + "=" + user + ":" + password, "--jobs", "8", "--images", strings.Join(refs, ",")}
		for b.Loop() {
			px.ResetCounts()
			ts.Reset()
			start := time.Now()
			if code := cli.Main(context.Background(), args, io.Discard, io.Discard, func(string) string { return "" }); code != 0 {
				b.Fatalf("check exit %d", code)
			}
			report(b, start)
		}
	})
	b.Run("floor", func(b *testing.B) {
		for b.Loop() {
			px.ResetCounts()
			ts.Reset()
			start := time.Now()
			if err := floorCheck(px.URL, user, password, refs, 8); err != nil {
				b.Fatal(err)
			}
			report(b, start)
		}
	})
}

var challengeParam = regexp.MustCompile(`(\w+)="([^"]*)"`)

// floorCheck is the least a client can do to learn whether each ref
// exists: a fresh client (as a new process has), one ping, one token per
// repository (all at once), one HEAD per ref with jobs in flight.
func floorCheck(base, user, password string, refs []string, jobs int) error {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = jobs
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	resp, err := client.Get(base + "/v2/")
	if err != nil {
		return err
	}
	resp.Body.Close()
	params := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(resp.Header.Get("WWW-Authenticate"), -1) {
		params[m[1]] = m[2]
	}
	type ref struct{ repo, tag string }
	var parsed []ref
	tokens := map[string]string{}
	for _, r := range refs {
		_, path, _ := strings.Cut(r, "/")
		repo, tag, _ := strings.Cut(path, ":")
		parsed = append(parsed, ref{repo, tag})
		tokens[repo] = ""
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(tokens)+len(refs))
	for repo := range tokens {
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
			tokens[repo] = body.Token
			mu.Unlock()
		})
	}
	wg.Wait()
	sem := make(chan struct{}, jobs)
	for _, r := range parsed {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			req, _ := http.NewRequest(http.MethodHead, base+"/v2/"+r.repo+"/manifests/"+r.tag, nil)
			req.Header.Set("Authorization", "Bearer "+tokens[r.repo])
			req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json")
			resp, err := client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
				errs <- fmt.Errorf("HEAD %s:%s: %s", r.repo, r.tag, resp.Status)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}
