package regtest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// acceptAll is every manifest and index media type, as a careful client sends.
const acceptAll = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"

// noRetry makes go-containerregistry give up after the first answer, so a
// test sees exactly the faults it injects.
var noRetry = remote.WithRetryBackoff(remote.Backoff{Steps: 1})

type answer struct {
	status int
	header http.Header
	body   string
}

// do sends one request with a fresh connection and reads the whole answer.
func do(t *testing.T, method, url string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s %s: %v", method, url, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func headDigest(t *testing.T, ref string, opts ...remote.Option) v1.Hash {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r, opts...)
	if err != nil {
		t.Fatalf("HEAD %s: %v", ref, err)
	}
	return desc.Digest
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, path string
		want         Kind
	}{
		{"GET", "/v2/", KindPing},
		{"GET", "/v2", KindPing},
		{"HEAD", "/v2/org/app/manifests/1.0", KindManifestHead},
		{"GET", "/v2/app/manifests/sha256:abc", KindManifestGet},
		{"PUT", "/v2/app/manifests/1.0", KindManifestPut},
		{"DELETE", "/v2/app/manifests/1.0", KindManifestDelete},
		{"GET", "/v2/org/app/tags/list", KindTagsList},
		{"HEAD", "/v2/app/blobs/sha256:abc", KindBlob},
		{"POST", "/v2/org/app/blobs/uploads/", KindBlob},
		{"PATCH", "/v2/app/blobs/uploads/0a1b", KindBlob},
		{"PUT", "/v2/app/blobs/uploads/0a1b", KindBlob},
		{"GET", "/token", KindToken},
		{"GET", "/v2/token", KindOther}, // under /v2/ it is not a token endpoint
		{"GET", "/v2/_catalog", KindOther},
		{"POST", "/v2/", KindOther},
		{"GET", "/", KindOther},
	}
	for _, tt := range tests {
		r, err := http.NewRequest(tt.method, "http://127.0.0.1"+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := Classify(r); got != tt.want {
			t.Errorf("Classify(%s %s) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestInProcessPushAndHead(t *testing.T) {
	t.Parallel()
	s := InProcess(t)
	want := PushImage(t, s.Ref("app:1.0"))
	if got := headDigest(t, s.Ref("app:1.0")); got != want {
		t.Errorf("HEAD app:1.0 = %v, want pushed %v", got, want)
	}
	if other := PushImage(t, s.Ref("app:1.1")); other == want {
		t.Errorf("two PushImage calls made the same image %v", want)
	}

	idx := PushIndex(t, s.Ref("app:multi"))
	r, _ := name.ParseReference(s.Ref("app:multi"))
	ii, err := remote.Index(r)
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if got := headDigest(t, s.Ref("app:multi")); got != idx {
		t.Errorf("HEAD app:multi = %v, want index %v", got, idx)
	}
	var platforms []string
	for _, m := range im.Manifests {
		img, err := ii.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if m.Platform == nil || m.Platform.OS != cf.OS || m.Platform.Architecture != cf.Architecture {
			t.Errorf("descriptor platform %v disagrees with config %s/%s", m.Platform, cf.OS, cf.Architecture)
			continue
		}
		platforms = append(platforms, m.Platform.String())
	}
	if diff := cmp.Diff(DefaultPlatforms, platforms); diff != "" {
		t.Errorf("index platforms (-want +got):\n%s", diff)
	}

	Tag(t, s.Ref("app:multi"), s.Ref("app:latest"))
	if got := headDigest(t, s.Ref("app:latest")); got != idx {
		t.Errorf("after Tag, latest = %v, want %v", got, idx)
	}
}

func TestInProcessCounts(t *testing.T) {
	t.Parallel()
	s := InProcess(t)
	PushImage(t, s.Ref("app:1.0"))
	if s.Counts().ManifestPut != 1 || s.Counts().Blob == 0 {
		t.Errorf("after a push, counts = %+v, want one manifest PUT and some blob requests", s.Counts())
	}
	s.ResetCounts()

	do(t, "GET", s.URL+"/v2/")
	do(t, "HEAD", s.URL+"/v2/app/manifests/1.0")
	do(t, "HEAD", s.URL+"/v2/app/manifests/1.0")
	do(t, "GET", s.URL+"/v2/app/manifests/1.0")
	do(t, "GET", s.URL+"/v2/app/tags/list")
	do(t, "HEAD", s.URL+"/v2/app/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000")
	do(t, "DELETE", s.URL+"/v2/app/manifests/nope")
	do(t, "GET", s.URL+"/token")
	do(t, "GET", s.URL+"/v2/_catalog")
	want := Counts{Ping: 1, ManifestHead: 2, ManifestGet: 1, TagsList: 1, Blob: 1, ManifestDelete: 1, Token: 1, Other: 1}
	if diff := cmp.Diff(want, s.Counts()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if got := s.Counts().Total(); got != 9 {
		t.Errorf("Total() = %d, want 9", got)
	}
}

func TestInProcessLatency(t *testing.T) {
	t.Parallel()
	const latency = 150 * time.Millisecond
	s := InProcess(t, WithLatency(latency))
	start := time.Now()
	if a := do(t, "GET", s.URL+"/v2/"); a.status != http.StatusOK {
		t.Fatalf("GET /v2/ = %d", a.status)
	}
	if took := time.Since(start); took < latency {
		t.Errorf("GET /v2/ took %v, want at least %v", took, latency)
	}
}

func TestInProcessWithoutDigestHeader(t *testing.T) {
	t.Parallel()
	s := InProcess(t, WithoutDigestHeader())
	want := PushImage(t, s.Ref("app:1.0"))
	for _, method := range []string{"HEAD", "GET"} {
		a := do(t, method, s.URL+"/v2/app/manifests/1.0", "Accept", acceptAll)
		if a.status != http.StatusOK {
			t.Fatalf("%s manifest = %d", method, a.status)
		}
		if d := a.header.Get("Docker-Content-Digest"); d != "" {
			t.Errorf("%s manifest sent Docker-Content-Digest %q, want none", method, d)
		}
		if method == "GET" {
			got, _, err := v1.SHA256(strings.NewReader(a.body))
			if err != nil || got != want {
				t.Errorf("GET body hashes to %v (%v), want %v", got, err, want)
			}
		}
	}
}

func TestDistribution(t *testing.T) {
	t.Parallel()
	d := Distribution(t)
	img := PushImage(t, d.Ref("app:1.0"), WithDockerMediaTypes())
	idx := PushIndex(t, d.Ref("app:2.0"), "linux/amd64", "linux/arm64/v8")
	Tag(t, d.Ref("app:2.0"), d.Ref("app:latest"))
	for ref, want := range map[string]v1.Hash{"app:1.0": img, "app:2.0": idx, "app:latest": idx} {
		if got := headDigest(t, d.Ref(ref)); got != want {
			t.Errorf("HEAD %s = %v, want %v", ref, got, want)
		}
	}
	a := do(t, "HEAD", d.URL+"/v2/app/manifests/2.0", "Accept", acceptAll)
	if a.status != http.StatusOK || a.header.Get("Docker-Content-Digest") != idx.String() {
		t.Errorf("raw HEAD = %d with digest %q, want 200 with %v", a.status, a.header.Get("Docker-Content-Digest"), idx)
	}
}

func TestDistributionHtpasswd(t *testing.T) {
	t.Parallel()
	d := Distribution(t, WithHtpasswd(User, Password))
	if a := do(t, "GET", d.URL+"/v2/"); a.status != http.StatusUnauthorized {
		t.Errorf("anonymous GET /v2/ = %d, want 401", a.status)
	}

	r, _ := name.ParseReference(d.Ref("app:anon"))
	img, err := randomImage(imageConfig{platform: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	err = remote.Write(r, img, noRetry)
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous push: %v, want a 401", err)
	}

	want := d.Pusher().PushImage(t, d.Ref("app:1.0"))
	if got := headDigest(t, d.Ref("app:1.0"), remote.WithAuth(As(User, Password).Auth)); got != want {
		t.Errorf("HEAD app:1.0 = %v, want %v", got, want)
	}
}

// fakeTB records Fatal and Skip instead of ending a real test.
type fakeTB struct {
	testing.TB
	fatal, skip string
}

func (f *fakeTB) Helper()                   {}
func (f *fakeTB) Fatal(args ...any)         { f.fatal = fmt.Sprint(args...); runtime.Goexit() }
func (f *fakeTB) Fatalf(s string, a ...any) { f.fatal = fmt.Sprintf(s, a...); runtime.Goexit() }
func (f *fakeTB) Skip(args ...any)          { f.skip = fmt.Sprint(args...); runtime.Goexit() }

func runFake(t *testing.T, fn func(testing.TB)) *fakeTB {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

func TestDistributionMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())

	t.Setenv("CI", "")
	f := runFake(t, func(tb testing.TB) { Distribution(tb) })
	if f.fatal != "" || !strings.Contains(f.skip, "apt-get install -y docker-registry") {
		t.Errorf("outside CI: fatal %q, skip %q; want a skip naming the apt-get command", f.fatal, f.skip)
	}

	t.Setenv("CI", "true")
	f = runFake(t, func(tb testing.TB) { Distribution(tb) })
	if f.skip != "" || !strings.Contains(f.fatal, "docker-registry") {
		t.Errorf("in CI: fatal %q, skip %q; want a failure", f.fatal, f.skip)
	}
}

func TestWithHtpasswdOtherPairFails(t *testing.T) {
	t.Parallel()
	f := runFake(t, func(tb testing.TB) { Distribution(tb, WithHtpasswd("someone", "else")) })
	if f.fatal == "" {
		t.Error("WithHtpasswd with another pair did not fail the test")
	}
}

// TestCountsPlus: every kind is added, none dropped.
func TestCountsPlus(t *testing.T) {
	a := Counts{Ping: 1, ManifestHead: 2, ManifestGet: 3, ManifestPut: 4, ManifestDelete: 5, TagsList: 6, Blob: 7, Token: 8, Other: 9}
	if got, want := a.Plus(a), (Counts{2, 4, 6, 8, 10, 12, 14, 16, 18}); got != want {
		t.Errorf("Plus = %+v, want %+v", got, want)
	}
	if a.Plus(Counts{}) != a {
		t.Error("adding nothing changed the counts")
	}
}
