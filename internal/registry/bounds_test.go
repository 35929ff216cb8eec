package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/regtest"
)

// nest wraps img in depth indexes, each holding the one below.
func nest(t *testing.T, img v1.Image, depth int) v1.ImageIndex {
	t.Helper()
	var idx v1.ImageIndex = mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}})
	for range depth - 1 {
		idx = mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), mutate.IndexAddendum{Add: idx})
	}
	return idx
}

func digestRef(t *testing.T, repo, d string) name.Digest {
	t.Helper()
	ref, err := name.NewDigest(repo + "@" + d)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestNestedIndexIsJudgedWhole: MissingChildren HEADed
// direct children only, so an index inside an index whose image was
// pruned passed promote's and restore's pre-flight and audit's
// "restorable". It now walks every level, and refuses nesting deeper
// than MaxDepth.
func TestNestedIndexIsJudgedWhole(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	outer := nest(t, img, 2)
	repo := srv.Ref("org/app")
	tag, _ := name.NewTag(repo + ":nested")
	if err := remote.WriteIndex(tag, outer); err != nil {
		t.Fatal(err)
	}
	od, _ := outer.Digest()
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := c.Manifest(ctx, digestRef(t, repo, od.String()))
	if err != nil {
		t.Fatal(err)
	}
	if gone, err := MissingChildren(ctx, c, digestRef(t, repo, od.String()), m); gone != "" || err != nil {
		t.Fatalf("whole nested index: %q, %v", gone, err)
	}
	id, _ := img.Digest()
	if err := remote.Delete(digestRef(t, repo, id.String())); err != nil {
		t.Fatal(err)
	}
	gone, err := MissingChildren(ctx, c, digestRef(t, repo, od.String()), m)
	if err != nil || !strings.Contains(gone, id.String()) {
		t.Errorf("pruned grandchild: %q, %v: want it named", gone, err)
	}

	deep := nest(t, img, MaxDepth+1)
	if err := remote.WriteIndex(tag, deep); err != nil {
		t.Fatal(err)
	}
	dd, _ := deep.Digest()
	dm, err := c.Manifest(ctx, digestRef(t, repo, dd.String()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MissingChildren(ctx, c, digestRef(t, repo, dd.String()), dm); errkind.Of(err) != errkind.BadInput || !strings.Contains(err.Error(), "deep") {
		t.Errorf("nesting %d deep: %v: want bad input saying it nests too deep", MaxDepth+1, err)
	}
}

// putRaw puts raw under ref with the OCI image media type.
func putRaw(t *testing.T, ref string, raw []byte) name.Digest {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(tag, rawManifest{Manifest{Descriptor: Descriptor{MediaType: types.OCIManifestSchema1}, Raw: raw}}); err != nil {
		t.Fatal(err)
	}
	return tag.Context().Digest(sha(raw))
}

// TestPathologicalManifestsAreRefusedBeforeAnyCopy: a
// source with 10,000 layers kept promote busy past --timeout and SIGTERM
// (go-containerregistry re-reads a manifest once per layer while
// copying). Manifests over oci.MaxManifest bytes or oci.MaxLayers layers are bad
// input, on a read and on a copy, before a blob moves.
func TestPathologicalManifestsAreRefusedBeforeAnyCopy(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	layers := make([]v1.Descriptor, 10000)
	for i := range layers {
		layers[i] = v1.Descriptor{MediaType: types.OCILayer, Size: 1, Digest: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", i)}}
	}
	many, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Size: 2, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}}, Layers: layers})
	huge, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Size: 2, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}},
		Annotations: map[string]string{"pad": strings.Repeat("x", oci.MaxManifest)}})
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := name.NewRepository(srv.Ref("other/app"))
	for what, raw := range map[string][]byte{"10,000 layers": many, "over 4 MiB": huge} {
		ref := putRaw(t, srv.Ref("org/app:bad"), raw)
		// Bounded by a deadline, not timed: a refusal that read the body
		// would run into it and fail as a read, not as bad input.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := c.Manifest(ctx, ref); errkind.Of(err) != errkind.BadInput {
			t.Errorf("%s: read: %v: want bad input", what, err)
		}
		if _, err := c.Copy(ctx, ref, other); errkind.Of(err) != errkind.BadInput {
			t.Errorf("%s: copy: %v: want bad input", what, err)
		}
		cancel()
	}
	if _, err := c.Resolve(context.Background(), other.Tag("bad")); err == nil {
		t.Error("something was copied")
	}
}

// TestRedirectedUploadNamesTheHost: a target registry
// that redirected a blob upload to a third host got the blame for that
// host's 401 ("check the credentials for the target"). The message now
// names the host that answered and says the upload was sent there.
func TestRedirectedUploadNamesTheHost(t *testing.T) {
	t.Parallel()
	src := regtest.InProcess(t)
	d := regtest.PushImage(t, src.Ref("org/app:1.0.0"))
	third := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="elsewhere"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(third.Close)
	dst := regtest.InProcess(t)
	u, _ := url.Parse("http://" + strings.Split(dst.Ref("x"), "/")[0])
	proxy := httputil.NewSingleHostReverseProxy(u)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/blobs/uploads/") {
			w.Header().Set("Location", third.URL+"/upload/1")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(target.Close)
	c, err := New(Config{Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := name.NewRepository(strings.TrimPrefix(target.URL, "http://") + "/org/app")
	_, err = c.Copy(context.Background(), digestRef(t, src.Ref("org/app"), d.String()), repo)
	thirdHost := strings.TrimPrefix(third.URL, "http://")
	if err == nil || !strings.Contains(err.Error(), "redirected the upload to "+thirdHost) {
		t.Errorf("%v: want the redirect to %s named", err, thirdHost)
	}
}

// TestNestedPathologicalSourceIsRefusedBeforeAnyCopy: an index whose
// grandchild has 10,000 layers kept a copy CPU-bound past the timeout:
// Copy held only the top manifest to the
// bounds. Every descendant is now read and held to them first.
func TestNestedPathologicalSourceIsRefusedBeforeAnyCopy(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	layers := make([]v1.Descriptor, 10000)
	for i := range layers {
		layers[i] = v1.Descriptor{MediaType: types.OCILayer, Size: 1, Digest: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", i)}}
	}
	raw, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Size: 2, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}}, Layers: layers})
	img := putRaw(t, srv.Ref("org/app:img"), raw)
	inner := putIndex(t, srv.Ref("org/app:inner"), v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: int64(len(raw)), Digest: mustHash(img.DigestStr())})
	outer := putIndex(t, srv.Ref("org/app:outer"), v1.Descriptor{MediaType: types.OCIImageIndex, Size: inner.size, Digest: mustHash(inner.ref.DigestStr())})
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := name.NewRepository(srv.Ref("other/app"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.ResetCounts()
	if _, err := c.Copy(ctx, outer.ref, other); errkind.Of(err) != errkind.BadInput || !strings.Contains(err.Error(), "layers") {
		t.Errorf("copy: %v: want bad input about the layers", err)
	}
	// Refused from the manifests alone: not one of the 10,000 layers is
	// asked about, and nothing is written.
	if c := srv.Counts(); c.Blob != 0 || c.ManifestPut != 0 {
		t.Errorf("refusing cost %d blob requests and %d manifest PUTs, want none", c.Blob, c.ManifestPut)
	}
}

// TestIndexWalkReadsEachManifestOnce: an index naming one nested index a
// thousand times (a few KB of JSON) would have been walked a thousand
// times per level (the review's 10⁹ requests); each digest is read once.
// A child labelled an image that the registry says is an index is walked.
func TestIndexWalkReadsEachManifestOnce(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	d := regtest.PushImage(t, srv.Ref("org/app:img"))
	raw, _ := regtest.Raw(t, srv.Ref("org/app:img"))
	_ = raw
	leaf := putIndex(t, srv.Ref("org/app:leaf"), v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: 1, Digest: d})
	var many []v1.Descriptor
	for range 900 {
		many = append(many, v1.Descriptor{MediaType: types.OCIImageIndex, Size: leaf.size, Digest: mustHash(leaf.ref.DigestStr())})
	}
	mid := putIndex(t, srv.Ref("org/app:mid"), many...)
	// The top labels the nested index as an image: the registry's answer decides.
	top := putIndex(t, srv.Ref("org/app:top"), v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: mid.size, Digest: mustHash(mid.ref.DigestStr())})
	c, _ := New(Config{})
	m, err := c.Manifest(context.Background(), top.ref)
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetCounts()
	if gone, err := MissingChildren(context.Background(), c, top.ref, m); gone != "" || err != nil {
		t.Fatalf("%q %v", gone, err)
	}
	if n := srv.Counts().Total(); n > 10 {
		t.Errorf("%d requests for 3 distinct manifests", n)
	}
	if err := remote.Delete(digestRef(t, srv.Ref("org/app"), d.String())); err != nil {
		t.Fatal(err)
	}
	if gone, _ := MissingChildren(context.Background(), c, top.ref, m); !strings.Contains(gone, d.String()) {
		t.Errorf("the pruned image under a mislabelled index is not found: %q", gone)
	}
}

type putResult struct {
	ref  name.Digest
	size int64
}

func putIndex(t *testing.T, ref string, entries ...v1.Descriptor) putResult {
	t.Helper()
	raw, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: entries})
	tag, _ := name.NewTag(ref)
	if err := remote.Put(tag, rawManifest{Manifest{Descriptor: Descriptor{MediaType: types.OCIImageIndex}, Raw: raw}}); err != nil {
		t.Fatal(err)
	}
	return putResult{tag.Context().Digest(sha(raw)), int64(len(raw))}
}

func mustHash(s string) v1.Hash {
	h, err := v1.NewHash(s)
	if err != nil {
		panic(err)
	}
	return h
}
