package promote

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/fixture"
	"github.com/tagguard/tagguard/internal/report"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/regtest"
)

// pushLabelled pushes an index holding img under the platform label, true
// or not, and returns REPO@sha256:….
func pushLabelled(t *testing.T, repo string, img v1.Image, label string) string {
	t.Helper()
	p, _ := v1.ParsePlatform(label)
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
	d, _ := idx.Digest()
	ref, _ := name.NewDigest(repo + "@" + d.String())
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	return ref.String()
}

// TestAnIndexThatLiesAboutAPlatformIsRefused: an index
// source labelling the amd64 image linux/arm64 gave different bytes in the
// two source orders, silently dropped one claim, and in one order
// published an index sending arm64 hosts an amd64 image. A child's label
// is now checked against its config, one digest under two platforms is
// bad input naming both, and the same sources in any order give the same
// bytes.
func TestAnIndexThatLiesAboutAPlatformIsRefused(t *testing.T) {
	t.Parallel()
	reg := regtest.Distribution(t)
	repo := reg.Host + "/org/app"
	amdImg := image(t, "linux/amd64")
	amd := func() string { // the same image by digest, as its build pushed it
		d, _ := amdImg.Digest()
		ref, _ := name.NewDigest(repo + "@" + d.String())
		if err := remote.Write(ref, amdImg); err != nil {
			t.Fatal(err)
		}
		return ref.String()
	}()
	liar := pushLabelled(t, repo, amdImg, "linux/arm64")
	ctx := context.Background()
	for _, sources := range [][]string{{amd, liar}, {liar, amd}, {liar}} {
		_, err := NewPlan(ctx, Options{Sources: sources, Images: []string{reg.Ref("org/app:1.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}})
		if errkind.Of(err) != errkind.BadInput || !strings.Contains(fmt.Sprint(err), "linux/arm64") || !strings.Contains(fmt.Sprint(err), "linux/amd64") {
			t.Errorf("%d sources: %v: want bad input naming linux/arm64 and linux/amd64", len(sources), err)
		}
	}
	if tag, _ := name.NewTag(reg.Ref("org/app:1.0.0")); func() error { _, err := fixture.Client(t).Resolve(ctx, tag); return err }() == nil {
		t.Error("a tag was written")
	}

	// A true label, the same image in two sources: one entry, the same
	// bytes in either order.
	honest := pushLabelled(t, repo, amdImg, "linux/amd64")
	arm := pushByDigest(t, repo, "linux/arm64")
	var digests []string
	for _, sources := range [][]string{{amd, honest, arm}, {arm, honest, amd}, {honest, arm, amd}} {
		p, err := NewPlan(ctx, Options{Sources: sources, Images: []string{reg.Ref("org/app:1.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}})
		if err != nil {
			t.Fatal(err)
		}
		var idx v1.IndexManifest
		_ = json.Unmarshal(p.published.Raw, &idx)
		if len(idx.Manifests) != 2 {
			t.Errorf("%d entries, want 2", len(idx.Manifests))
		}
		digests = append(digests, p.published.Digest.String())
	}
	if digests[0] != digests[1] || digests[1] != digests[2] {
		t.Errorf("the same sources in three orders gave %v", digests)
	}
}

// TestPathologicalSourceEndsWithinTheTimeout, end to end: a source
// manifest with 10,000 layers kept promote at 200% CPU past
// --timeout 30s. It is now refused as bad input before any copy, well
// inside the timeout, and nothing is written.
func TestPathologicalSourceEndsWithinTheTimeout(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	layers := make([]v1.Descriptor, 10000)
	for i := range layers {
		layers[i] = v1.Descriptor{MediaType: types.OCILayer, Size: 1, Digest: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", i)}}
	}
	raw, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Size: 2, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}}, Layers: layers})
	h, _, _ := v1.SHA256(strings.NewReader(string(raw)))
	tag, _ := name.NewTag(srv.Ref("org/app:build"))
	if err := remote.Put(tag, rawBytes{raw}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.ResetCounts()
	_, err := report.Run(ctx, NewPlan, Options{Sources: []string{srv.Ref("org/app") + "@" + h.String()}, Images: []string{srv.Ref("other/app:1.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 4}}, false)
	if errkind.Of(err) != errkind.BadInput || !strings.Contains(err.Error(), "layers") {
		t.Errorf("%v: want bad input about the layers", err)
	}
	// Refused from the manifest alone: not one of the 10,000 layers is
	// asked about, and nothing is written.
	if c := srv.Counts(); c.Blob != 0 || c.ManifestPut != 0 {
		t.Errorf("refusing cost %d blob requests and %d manifest PUTs, want none", c.Blob, c.ManifestPut)
	}
}

type rawBytes struct{ b []byte }

func (r rawBytes) RawManifest() ([]byte, error)        { return r.b, nil }
func (r rawBytes) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// TestFixLinesNameTheCommandsOwnOptions: promote's fix
// line for an existing immutable tag named --digest, which promote
// refuses, and check's handed over the existing digest, whose only use
// is to silence the guard.
func TestFixLinesNameTheCommandsOwnOptions(t *testing.T) {
	t.Parallel()
	srv := regtest.InProcess(t)
	existing := regtest.PushImage(t, srv.Ref("org/app:1.0.0")).String()
	src := pushByDigest(t, srv.Ref("org/app"), "linux/amd64")
	p, err := NewPlan(context.Background(), Options{Sources: []string{src}, Images: []string{srv.Ref("org/app:1.0.0")}, Registry: fixture.Client(t), Run: command.Run{Jobs: 2}})
	if err != nil || !p.Report().Blocking() {
		t.Fatalf("%v: want blocked", err)
	}
	var text strings.Builder
	if err := p.Report().WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "--digest") || !strings.Contains(text.String(), "fix: publish a new version") {
		t.Errorf("promote's fix line:\n%s", text.String())
	}
	if strings.Contains(text.String(), "fix: "+existing) || strings.Contains(text.String(), "pass "+existing) {
		t.Errorf("the existing digest is handed over:\n%s", text.String())
	}
}
