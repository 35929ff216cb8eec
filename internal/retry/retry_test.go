package retry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// flaky answers with the given statuses in turn, then 200.
func flaky(t *testing.T, statuses []int, header http.Header) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(statuses[i])
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// waits records what the transport would sleep, and sleeps not at all:
// what a test asserts is the wait asked for, never a clock.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

func TestTransportRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	srv, n := flaky(t, []int{503, 502, 429}, nil)
	rt := &Transport{Inner: http.DefaultTransport, Policy: Policy{Attempts: 5, Base: time.Millisecond, Max: 10 * time.Millisecond}}
	resp, err := (&http.Client{Transport: rt}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || n.Load() != 4 {
		t.Errorf("status %d after %d requests, want 200 after 4", resp.StatusCode, n.Load())
	}
}

func TestTransportHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	srv, n := flaky(t, []int{429}, http.Header{"Retry-After": {"1"}})
	w := &waits{}
	rt := &Transport{Inner: http.DefaultTransport, Policy: Policy{Attempts: 5, Base: time.Millisecond, Max: time.Millisecond, Sleep: w.sleep}}
	resp, err := (&http.Client{Transport: rt}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := w.all(); len(got) != 1 || got[0] < time.Second {
		t.Errorf("waited %v before the retry, want the 1s Retry-After honoured (over the 1ms backoff)", got)
	}
	if n.Load() != 2 {
		t.Errorf("%d requests, want 2", n.Load())
	}
}

func TestTransportStopsAtDeadline(t *testing.T) {
	t.Parallel()
	srv, n := flaky(t, []int{429, 429}, http.Header{"Retry-After": {"120"}})
	w := &waits{}
	rt := &Transport{Inner: http.DefaultTransport, Policy: Policy{Attempts: 5, Base: time.Millisecond, Max: time.Millisecond, Sleep: w.sleep}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, err := rt.RoundTrip(req)
	if err == nil || !strings.Contains(err.Error(), "429 Too Many Requests; a retry in 2m0s would pass --timeout") {
		t.Errorf("err %v: want the refused wait explained", err)
	}
	if n.Load() != 1 || len(w.all()) != 0 {
		t.Errorf("%d requests after waiting %v; want one, at once, since waiting 120s would pass the deadline", n.Load(), w.all())
	}
}

func TestTransportGivesUp(t *testing.T) {
	t.Parallel()
	srv, n := flaky(t, []int{500, 500, 500, 500, 500, 500}, nil)
	rt := &Transport{Inner: http.DefaultTransport, Policy: Policy{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond}}
	resp, err := (&http.Client{Transport: rt}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 || n.Load() != 3 {
		t.Errorf("got %d after %d requests, want 500 after 3", resp.StatusCode, n.Load())
	}
}

func TestTransportReplaysBody(t *testing.T) {
	t.Parallel()
	var bodies []string
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if n.Add(1) == 1 {
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	rt := &Transport{Inner: http.DefaultTransport, Policy: Policy{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond}}
	req, _ := http.NewRequest(http.MethodPut, srv.URL, strings.NewReader("manifest"))
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(bodies) != 2 || bodies[1] != "manifest" {
		t.Errorf("bodies %q, want the body sent twice", bodies)
	}
}
