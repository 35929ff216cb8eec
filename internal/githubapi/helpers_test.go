package githubapi_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
)

const token = "ghs_s3cr3tT0k3nValue"

// sleeps records the waits the client asked for instead of taking them.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newClient returns a client of srv with the test token, whose waits are
// recorded rather than slept.
func newClient(t *testing.T, srv *ghtest.Server) (*githubapi.Client, *sleeps) {
	t.Helper()
	sl := &sleeps{}
	c, err := githubapi.New(githubapi.Config{
		Token:   token,
		BaseURL: srv.URL,
		Retry:   githubapi.RetryPolicy{Sleep: sl.sleep},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, sl
}

func requests(s *ghtest.Server) []string {
	var out []string
	for _, r := range s.Requests() {
		out = append(out, r.String())
	}
	return out
}
