package promote

import (
	"bytes"
	"context"
	"io"
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

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/regtest"
)

// TestTwoPromotesRacingForOneTag: registries have no
// conditional manifest PUT, so two promotes that both pass the re-check
// before either PUT lands both write; the second overwrites the first. A
// proxy orders it so: A's PUT waits until B has re-checked and sent its
// own, lands first, and answers only after B's has landed too. A must
// report that its write landed and was replaced (A → B, by whom cannot be
// told) and exit 4; B wrote last and is fine.
func TestTwoPromotesRacingForOneTag(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	upstream, _ := url.Parse("http://" + strings.Split(srv.Ref("x"), "/")[0])
	rp := httputil.NewSingleHostReverseProxy(upstream)
	var mu sync.Mutex
	var first string // the digest whose PUT came first
	bArrived, aForwarded, bForwarded := make(chan struct{}), make(chan struct{}), make(chan struct{})
	wait := func(c chan struct{}) {
		select {
		case <-c:
		case <-time.After(5 * time.Second):
		}
	}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || !strings.HasSuffix(r.URL.Path, "/manifests/1.0.0") {
			rp.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		isA := first == ""
		if isA {
			first = string(body)
		}
		mu.Unlock()
		rec := httptest.NewRecorder()
		if isA {
			wait(bArrived) // B passed its re-check while A was in flight
			rp.ServeHTTP(rec, r)
			close(aForwarded)
			wait(bForwarded)
		} else {
			close(bArrived)
			wait(aForwarded)
			rp.ServeHTTP(rec, r)
			close(bForwarded)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(proxy.Close)
	host := strings.TrimPrefix(proxy.URL, "http://")
	srcA, srcB := pushByDigest(t, host+"/org/app", "linux/amd64"), pushByDigest(t, host+"/org/app", "linux/amd64")
	ctx := context.Background()
	plan := func(src string) *Plan {
		p, err := NewPlan(ctx, Options{Sources: []string{src}, Images: []string{host + "/org/app:1.0.0"}, Registry: fixture.Client(t), Run: command.Run{Jobs: 1}})
		if err != nil || p.Report().Blocking() {
			t.Fatalf("plan %s: %v", src, err)
		}
		return p
	}
	pa, pb := plan(srcA), plan(srcB)
	type result struct {
		r   *Report
		err error
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i, p := range []*Plan{pa, pb} {
		wg.Go(func() {
			if i == 1 {
				time.Sleep(50 * time.Millisecond) // A's PUT goes first
			}
			r, err := p.Apply(ctx)
			results[i] = result{r, err}
		})
	}
	wg.Wait()
	a, b := results[0], results[1]
	dA, dB := srcA[strings.Index(srcA, "@")+1:], srcB[strings.Index(srcB, "@")+1:]
	if errkind.ExitCode(a.err) != 4 || a.r.Targets[0].State != Replaced {
		t.Fatalf("A: exit %d, %+v: want exit 4 and replaced", errkind.ExitCode(a.err), a.r.Targets)
	}
	if reason := a.r.Targets[0].Reason; !strings.Contains(reason, "our write landed") || !strings.Contains(reason, dA+" → "+dB) || !strings.Contains(reason, "cannot be told") {
		t.Errorf("A's reason %q: want its write landed, %s → %s, and who cannot be told", reason, dA, dB)
	}
	if b.err != nil || b.r.Targets[0].State != Written {
		t.Errorf("B: %v, %+v: want written", b.err, b.r.Targets)
	}
}
