package registry

import (
	"context"
	"strings"
	"testing"

	stack "github.com/tagguard/tagguard/internal/registry/transport"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tagguard/tagguard/internal/regtest"
)

// TestCopyReusesWhatWasRead is the promise "reuses what the plan read": an
// image whose manifest and config the client read (and hashed) is copied
// to another registry without a second manifest GET or config GET; each of
// its blobs is read from the source once, and the copy is the same digest.
// Within one registry the layer is mounted, not read at all.
func TestCopyReusesWhatWasRead(t *testing.T) {
	t.Parallel()
	src := regtest.InProcess(t)
	dst := regtest.InProcess(t)
	d := regtest.PushImage(t, src.Ref("ci/app:build"))
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ref := digestRef(t, src.Ref("ci/app"), d.String())
	ctx := context.Background()
	src.ResetCounts()
	m, err := c.Manifest(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Platform(ctx, ref.Context(), m); err != nil {
		t.Fatal(err)
	}
	if got := src.Counts(); got.ManifestGet != 1 || got.Blob != 1 {
		t.Fatalf("the plan's reads: %+v", got)
	}
	for _, to := range []struct {
		name string
		repo string
		// blob requests on the source: the config never again; the layer
		// streamed once across registries, mounted within one
		srcBlobs int
	}{{"across registries", dst.Ref("org/app"), 1}, {"within one registry", src.Ref("org/app"), 0}} {
		repo, err := name.NewRepository(to.repo)
		if err != nil {
			t.Fatal(err)
		}
		src.ResetCounts()
		if _, err := c.Copy(ctx, ref, repo); err != nil {
			t.Fatalf("%s: %v", to.name, err)
		}
		got := src.Counts()
		if got.ManifestGet != 0 {
			t.Errorf("%s: %d manifest GETs on the source, want 0 (the plan read it)", to.name, got.ManifestGet)
		}
		if to.srcBlobs == 1 && got.Blob != 1 {
			t.Errorf("%s: %d blob requests on the source, want 1 (the layer; the config was read)", to.name, got.Blob)
		}
		if raw, _ := regtest.Raw(t, to.repo+"@"+d.String()); raw != d.String() {
			t.Errorf("%s: the copy is at %q, want %s", to.name, raw, d)
		}
	}
	// Again: present, nothing sent.
	repo, _ := name.NewRepository(dst.Ref("org/app"))
	if st, err := c.Copy(ctx, ref, repo); err != nil || !st.Present {
		t.Errorf("a re-run: %+v, %v", st, err)
	}
}

// TestBlobsOfRepositoriesNamedLikeEndpoints: the 4 MiB bound is for
// manifests and referrers lists, told by the path's shape; a repository
// called ci/manifests/app or ci/referrers/app has layers over 4 MiB like
// any other, and they copy.
func TestBlobsOfRepositoriesNamedLikeEndpoints(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"/v2/ci/app/manifests/1.0":                   "manifests",
		"/v2/manifests/manifests/latest":             "manifests",
		"/v2/ci/app/referrers/sha256:abc":            "referrers",
		"/v2/ci/manifests/app/blobs/sha256:abc":      "",
		"/v2/ci/referrers/app/blobs/sha256:abc":      "",
		"/v2/ci/manifests/app/blobs/uploads/some-id": "",
		"/v2/ci/app/tags/list":                       "",
		"/token":                                     "",
	} {
		if got := stack.Endpoint(path); got != want {
			t.Errorf("endpoint(%q) = %q, want %q", path, got, want)
		}
	}
	src, dst := regtest.InProcess(t), regtest.InProcess(t)
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, repo := range []string{"ci/manifests/app", "ci/referrers/app"} {
		img, err := random.Image(5<<20, 1)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		ref := digestRef(t, src.Ref(repo), d.String())
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		to, _ := name.NewRepository(dst.Ref(repo))
		if _, err := c.Copy(context.Background(), ref, to); err != nil {
			t.Errorf("%s: a 5 MiB layer: %v", repo, err)
		}
	}
}

// TestPutManifestRefusedButThere: PutManifest PUTs without a HEAD first; a
// repository that refuses to take a manifest again (a policy against
// re-pushing) is asked whether it has it, and having it is success. A
// refusal of a manifest it does not have stays a failure.
func TestPutManifestRefusedButThere(t *testing.T) {
	t.Parallel()
	up := regtest.InProcess(t)
	d := regtest.PushImage(t, up.Ref("org/app:1.0.0"))
	denied := `{"errors":[{"code":"DENIED","message":"redeploy is not allowed"}]}`
	px := regtest.FaultProxy(t, up.URL, regtest.FailManifestPut(1, 403, denied), regtest.FailManifestPut(2, 403, denied))
	c, err := New(Config{Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	repo, _ := name.NewRepository(px.Ref("org/app"))
	m, err := c.Manifest(ctx, repo.Digest(d.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PutManifest(ctx, repo, m); err != nil {
		t.Errorf("a refused PUT of a manifest the repository has: %v", err)
	}
	other, _ := name.NewRepository(px.Ref("org/other"))
	if err := c.PutManifest(ctx, other, m); err == nil || !strings.Contains(err.Error(), "403") && !strings.Contains(err.Error(), "DENIED") {
		t.Errorf("a refused PUT of a manifest the repository lacks: %v; want the refusal", err)
	}
}

// TestCopyEachManifestOnce: an
// index that lists a child twice (under two platform labels) and a nested
// index twice, copied by two callers at once, sends each manifest's HEAD
// and PUT once, and the target holds every child. A full read cache does
// not stop a copy: the manifest in hand is enough.
func TestCopyEachManifestOnce(t *testing.T) {
	t.Parallel()
	src := regtest.InProcess(t)
	dst := regtest.InProcess(t)
	img := func() v1.Image {
		i, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	a, b := img(), img()
	inner := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: a, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: a, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: b, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}})
	outer := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: inner}, mutate.IndexAddendum{Add: inner})
	od, err := outer.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref := digestRef(t, src.Ref("ci/app"), od.String())
	if err := remote.WriteIndex(ref, outer); err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := name.NewRepository(dst.Ref("org/app"))
	dst.ResetCounts()
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, err := c.Copy(context.Background(), ref, repo); errs <- err }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for req, n := range dst.Duplicates() {
		if !strings.HasSuffix(req, "/blobs/uploads/") {
			t.Errorf("%q sent %d times", req, n)
		}
	}
	if got := dst.Counts().ManifestPut; got != 4 {
		t.Errorf("%d manifest PUTs, want 4 (two images, the inner and the outer index)", got)
	}
	m, err := c.Manifest(context.Background(), repo.Digest(od.String()))
	if err != nil {
		t.Fatal(err)
	}
	if missing, err := MissingChildren(context.Background(), c, repo.Digest(od.String()), m); err != nil || missing != "" {
		t.Errorf("the target lacks children: %q, %v", missing, err)
	}

	full, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	full.read.size = maxCached // nothing more is kept
	one := digestRef(t, src.Ref("ci/app"), regtest.PushImage(t, src.Ref("ci/app:one")).String())
	if _, err := full.Copy(context.Background(), one, repo); err != nil {
		t.Errorf("a copy with the read cache full: %v", err)
	}
}
