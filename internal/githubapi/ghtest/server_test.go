package ghtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// call sends one request and returns status, headers and decoded JSON body
// (nil when the body is not JSON).
func call(t *testing.T, method, url, auth, body string) (int, http.Header, any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v any
	if json.Unmarshal(b, &v) != nil {
		v = nil
	}
	return resp.StatusCode, resp.Header, v
}

func field(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

func TestReleaseByTagHidesDrafts(t *testing.T) {
	t.Parallel()
	s := New(t)
	s.AddRelease("org", "app", Release{TagName: "v1.0.0", Body: "notes"})
	s.AddRelease("org", "app", Release{TagName: "v2.0.0", Draft: true})

	code, h, body := call(t, "GET", s.URL+"/repos/org/app/releases/tags/v1.0.0", "", "")
	if code != 200 || field(body, "tag_name") != "v1.0.0" || field(body, "body") != "notes" || field(body, "draft") != false {
		t.Errorf("published release: %d %v", code, body)
	}
	for _, k := range []string{"id", "node_id", "url", "html_url", "upload_url", "author", "assets", "published_at"} {
		if _, ok := body.(map[string]any)[k]; !ok {
			t.Errorf("release lacks %q", k)
		}
	}
	for _, k := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Used", "X-Ratelimit-Reset", "X-Ratelimit-Resource"} {
		if h.Get(k) == "" {
			t.Errorf("response lacks %s", k)
		}
	}

	code, _, body = call(t, "GET", s.URL+"/repos/org/app/releases/tags/v2.0.0", "", "")
	if code != 404 || field(body, "message") != "Not Found" || field(body, "documentation_url") == nil {
		t.Errorf("draft by tag: want GitHub's 404, got %d %v", code, body)
	}
	if rel, ok := s.Release("org", "app", "v2.0.0"); !ok || !rel.Draft {
		t.Errorf("Release(v2.0.0) = %+v, %v; want the draft", rel, ok)
	}
}

func TestListReleasesPaginates(t *testing.T) {
	t.Parallel()
	s := New(t)
	for i := 1; i <= 5; i++ {
		s.AddRelease("org", "app", Release{TagName: fmt.Sprintf("v%d", i)})
	}
	code, h, body := call(t, "GET", s.URL+"/repos/org/app/releases?per_page=2&page=2", "", "")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	var tags []any
	for _, r := range body.([]any) {
		tags = append(tags, field(r, "tag_name"))
	}
	if diff := cmp.Diff([]any{"v3", "v2"}, tags); diff != "" {
		t.Errorf("page 2, newest first (-want +got):\n%s", diff)
	}
	u := s.URL + "/repos/org/app/releases?"
	want := fmt.Sprintf(`<%spage=1&per_page=2>; rel="prev", <%spage=3&per_page=2>; rel="next", <%spage=3&per_page=2>; rel="last", <%spage=1&per_page=2>; rel="first"`, u, u, u, u)
	if got := h.Get("Link"); got != want {
		t.Errorf("Link:\n got %s\nwant %s", got, want)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	s := New(t, WithToken("T"))
	s.AddRepo("org", "app")
	for _, tc := range []struct {
		auth, message string
		code          int
	}{
		{"Bearer T", "", 200},
		{"token T", "", 200},
		{"Bearer wrong", "Bad credentials", 401},
		{"", "Requires authentication", 401},
	} {
		code, _, body := call(t, "GET", s.URL+"/repos/org/app/releases", tc.auth, "")
		if code != tc.code || (tc.message != "" && field(body, "message") != tc.message) {
			t.Errorf("Authorization %q: got %d %v, want %d %q", tc.auth, code, body, tc.code, tc.message)
		}
	}
}

func TestFaultsThenSuccess(t *testing.T) {
	t.Parallel()
	s := New(t)
	s.AddRepo("org", "app")
	s.FailNext(1, PrimaryRateLimit(time.Minute))
	s.FailNext(1, SecondaryRateLimit(7*time.Second))
	s.FailNext(1, TooManyRequests(3*time.Second))
	s.FailNext(1, ServerError(502))
	u := s.URL + "/repos/org/app/releases"

	code, h, body := call(t, "GET", u, "", "")
	reset, _ := http.ParseTime(h.Get("Date"))
	if code != 403 || h.Get("X-Ratelimit-Remaining") != "0" || !strings.HasPrefix(field(body, "message").(string), "API rate limit exceeded") {
		t.Errorf("primary: %d %v %v", code, h, body)
	}
	if r, _ := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); r < reset.Add(59*time.Second).Unix() {
		t.Errorf("primary: reset %d, want about a minute after %s", r, reset)
	}
	code, h, body = call(t, "GET", u, "", "")
	if code != 403 || h.Get("Retry-After") != "7" || !strings.HasSuffix(field(body, "documentation_url").(string), "secondary-rate-limits") {
		t.Errorf("secondary: %d %v %v", code, h, body)
	}
	code, h, _ = call(t, "GET", u, "", "")
	if code != 429 || h.Get("Retry-After") != "3" {
		t.Errorf("429: %d %v", code, h)
	}
	code, h, _ = call(t, "GET", u, "", "")
	if code != 502 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("502: %d %v", code, h)
	}
	if code, _, _ = call(t, "GET", u, "", ""); code != 200 {
		t.Errorf("after the faults: %d, want 200", code)
	}
	if n := len(s.Requests()); n != 5 {
		t.Errorf("recorded %d requests, want 5", n)
	}
}

func TestQuotaRunsOut(t *testing.T) {
	t.Parallel()
	s := New(t)
	s.AddRepo("org", "app")
	s.SetRemaining(1)
	code, h, _ := call(t, "GET", s.URL+"/repos/org/app/releases", "", "")
	if code != 200 || h.Get("X-Ratelimit-Remaining") != "0" {
		t.Errorf("last request of the window: %d remaining %q", code, h.Get("X-Ratelimit-Remaining"))
	}
	if code, _, _ = call(t, "GET", s.URL+"/repos/org/app/releases", "", ""); code != 403 {
		t.Errorf("after the window ran out: %d, want 403", code)
	}
}

func TestCreateAndEditRelease(t *testing.T) {
	t.Parallel()
	s := New(t)
	s.AddRepo("org", "app")
	u := s.URL + "/repos/org/app/releases"

	code, h, body := call(t, "POST", u, "", `{"tag_name":"v1","body":"b","draft":true}`)
	if code != 201 || field(body, "draft") != true || field(body, "published_at") != nil || h.Get("Location") == "" {
		t.Fatalf("create: %d %v", code, body)
	}
	id := int64(field(body, "id").(float64))
	code, _, body = call(t, "POST", u, "", `{"tag_name":"v1"}`)
	errs, _ := field(body, "errors").([]any)
	if code != 422 || len(errs) != 1 || field(errs[0], "code") != "already_exists" {
		t.Errorf("second create: %d %v", code, body)
	}
	if code, _, _ = call(t, "POST", u, "", `{"body":"x"}`); code != 422 {
		t.Errorf("create without tag_name: %d, want 422", code)
	}
	if code, _, _ = call(t, "POST", u, "", `{`); code != 400 {
		t.Errorf("create with broken JSON: %d, want 400", code)
	}

	code, _, body = call(t, "PATCH", fmt.Sprintf("%s/%d", u, id), "", `{"body":"new"}`)
	if code != 200 || field(body, "body") != "new" {
		t.Errorf("edit: %d %v", code, body)
	}
	if rel, _ := s.Release("org", "app", "v1"); rel.Body != "new" {
		t.Errorf("stored body %q, want new", rel.Body)
	}
	long, _ := json.Marshal(map[string]string{"body": strings.Repeat("x", 125001)})
	if code, _, _ = call(t, "PATCH", fmt.Sprintf("%s/%d", u, id), "", string(long)); code != 422 {
		t.Errorf("edit with a body too long: %d, want 422", code)
	}
	if code, _, _ = call(t, "PATCH", u+"/999999", "", `{"body":"x"}`); code != 404 {
		t.Errorf("edit of a missing release: %d, want 404", code)
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	s := New(t, Enterprise())
	s.AddBranch("org", "app", "release/1.x", "aaa")
	s.SetCompare("org", "app", "release/1.x", "abc123", Behind, 0, 2)
	code, _, body := call(t, "GET", s.URL+"/repos/org/app/compare/release%2F1.x...abc123", "", "")
	if code != 200 || field(body, "status") != "behind" || field(body, "behind_by") != 2.0 {
		t.Errorf("compare: %d %v", code, body)
	}
	if code, _, _ = call(t, "GET", s.URL+"/repos/org/app/compare/main...abc123", "", ""); code != 404 {
		t.Errorf("unknown pair: %d, want 404", code)
	}
	if !strings.HasSuffix(s.URL, "/api/v3") {
		t.Errorf("Enterprise URL %s lacks /api/v3", s.URL)
	}
}

// recorder stands in for a test so that ghtest's own failures can be seen.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	errors   []string
	cleanups []func()
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) finish() []string {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	return r.errors
}

func TestExpectAndUnknownEndpoints(t *testing.T) {
	t.Parallel()
	rec := &recorder{TB: t}
	s := New(rec)
	s.AddRepo("org", "app")
	s.Expect("GET /repos/org/app/releases?page=2&per_page=100", "GET /repos/org/app/branches")
	call(t, "GET", s.URL+"/repos/org/app/releases?per_page=100&page=2", "", "")
	call(t, "GET", s.URL+"/repos/org/app/issues", "", "")

	want := []string{
		"ghtest: no such endpoint: GET /repos/org/app/issues",
		"ghtest: expected request never came: GET /repos/org/app/branches",
	}
	if diff := cmp.Diff(want, rec.finish()); diff != "" {
		t.Errorf("test failures (-want +got):\n%s", diff)
	}
}
