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

// TestNestedIndexIsJudgedWhole is issue 15 item 5: MissingChildren HEADed
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

// TestPathologicalManifestsAreRefusedBeforeAnyCopy is issue 15 item 8: a
// source with 10,000 layers kept promote busy past --timeout and SIGTERM
// (go-containerregistry re-reads a manifest once per layer while
// copying). Manifests over MaxManifest bytes or MaxLayers layers are bad
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
		Annotations: map[string]string{"pad": strings.Repeat("x", MaxManifest)}})
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := name.NewRepository(srv.Ref("other/app"))
	for what, raw := range map[string][]byte{"10,000 layers": many, "over 4 MiB": huge} {
		ref := putRaw(t, srv.Ref("org/app:bad"), raw)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		if _, err := c.Manifest(ctx, ref); errkind.Of(err) != errkind.BadInput {
			t.Errorf("%s: read: %v: want bad input", what, err)
		}
		if _, err := c.Copy(ctx, ref, other); errkind.Of(err) != errkind.BadInput {
			t.Errorf("%s: copy: %v: want bad input", what, err)
		}
		cancel()
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: refusing took %s", what, d)
		}
	}
	if _, err := c.Resolve(context.Background(), other.Tag("bad")); err == nil {
		t.Error("something was copied")
	}
}

// TestRedirectedUploadNamesTheHost is issue 15 item 11: a target registry
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
