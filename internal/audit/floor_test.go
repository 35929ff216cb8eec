package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/event"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
	"github.com/tagguard/tagguard/internal/report"
)

// BenchmarkAuditAgainstFloor is the yardstick for audit: 1,000
// releases × 5 refs (2,111 distinct), the registry 20 ms away, 8 in
// flight, beside the least a client can do for the same answer, written
// with net/http: read the release pages one after another (each needs the
// last one's Link), parse each ledger as its page arrives (ledger.Extract,
// the same parser), and HEAD every distinct ref once, 8 in flight, the
// first as soon as the first page is parsed.
func BenchmarkAuditAgainstFloor(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("releases=%d", n), func(b *testing.B) { benchAudit(b, n) })
	}
}

func benchAudit(b *testing.B, n int) {
	srv, gh := seedReleases(b, n)
	measure := func(b *testing.B, run func() error) {
		var took time.Duration
		var requests, runs int
		for b.Loop() {
			srv.ResetCounts()
			start := time.Now()
			if err := run(); err != nil {
				b.Fatal(err)
			}
			took += time.Since(start)
			requests += srv.Counts().Total()
			runs++
		}
		b.ReportMetric(took.Seconds()/float64(runs), "wall-s")
		b.ReportMetric(float64(requests)/float64(runs), "registry-requests")
	}
	b.Run("tagguard", func(b *testing.B) {
		c, _ := githubapi.New(githubapi.Config{Token: "t0ken", BaseURL: gh.URL})
		measure(b, func() error {
			r, err := report.Run(context.Background(), NewPlan, Options{FromReleases: true, Run: command.Run{Event: event.Context{Repository: "org/app"}, Jobs: 8}, GitHub: c, Registry: fixture.Client(b)}, false)
			if err == nil && r.Blocking() {
				err = fmt.Errorf("%s", r.Summary)
			}
			return err
		})
	})
	b.Run("floor", func(b *testing.B) {
		measure(b, func() error { return floorAudit(gh.URL+"/repos/org/app/releases?per_page=100", "t0ken", srv.URL, 8) })
	})
	// tagguard as the process a workflow step runs, for its peak RSS.
	b.Run("tagguard-process", func(b *testing.B) {
		bin := filepath.Join(b.TempDir(), "tagguard")
		if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/tagguard").CombinedOutput(); err != nil {
			b.Fatalf("building tagguard: %v\n%s", err, out)
		}
		tg := regtest.Tool{Path: bin, Home: b.TempDir(), Env: []string{"GITHUB_API_URL=" + gh.URL, "GITHUB_TOKEN=t0ken", "GITHUB_REPOSITORY=org/app"}}
		var rss int64
		measure(b, func() error {
			var err error
			rss, err = tg.RunMeasured(context.Background(), "audit", "--from-releases", "-q", "--jobs", "8")
			return err
		})
		b.ReportMetric(float64(rss)/(1<<20), "MiB-peak-RSS")
	})
}

var nextLink = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

func floorAudit(page, token, registry string, jobs int) error {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = jobs
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	seen := map[string]bool{}
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	for page != "" {
		req, _ := http.NewRequest(http.MethodGet, page, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		var rels []struct {
			Body string `json:"body"`
		}
		err = json.NewDecoder(resp.Body).Decode(&rels)
		resp.Body.Close()
		if err != nil {
			return err
		}
		page = ""
		if m := nextLink.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
			page = m[1]
		}
		for _, rel := range rels {
			l, found, err := ledger.Extract(rel.Body)
			if err != nil || !found {
				continue
			}
			for _, im := range l.Images {
				if seen[im.Ref] {
					continue
				}
				seen[im.Ref] = true
				_, path, _ := strings.Cut(im.Ref, "/")
				repo, tag, _ := strings.Cut(path, ":")
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					req, _ := http.NewRequest(http.MethodHead, registry+"/v2/"+repo+"/manifests/"+tag, nil)
					req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
					resp, err := client.Do(req)
					if err == nil {
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							err = fmt.Errorf("HEAD %s: %s", im.Ref, resp.Status)
						}
					}
					if err != nil {
						mu.Lock()
						failed = err
						mu.Unlock()
					}
				})
			}
		}
	}
	wg.Wait()
	return failed
}
