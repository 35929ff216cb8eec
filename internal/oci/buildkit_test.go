package oci

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/tagguard/tagguard/internal/ledger"
)

const (
	img = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	att = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func TestInlineAttestations(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		want      map[string]bool
	}{
		{"buildx index", `{"schemaVersion":2,"manifests":[
			{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + img + `","size":1,"platform":{"os":"linux","architecture":"amd64"}},
			{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + att + `","size":1,"platform":{"os":"unknown","architecture":"unknown"},
			 "annotations":{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"` + img + `"}}]}`,
			map[string]bool{img: true}},
		{"no attestation", `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + img + `","size":1}]}`, map[string]bool{}},
		{"attestation naming nothing", `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + att + `","size":1,
			"annotations":{"vnd.docker.reference.type":"attestation-manifest"}}]}`, map[string]bool{}},
		{"an image manifest", `{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + img + `","size":1},"layers":[]}`, map[string]bool{}},
		{"not JSON", `<html>`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, InlineAttestations([]byte(tc.raw))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPullable: only a BuildKit attestation of platform unknown/unknown
// is out of a runtime's reach; the mark alone, on an entry of a real
// platform or of none, is anyone's to write and hides nothing.
func TestPullable(t *testing.T) {
	mark := map[string]string{RefType: AttestationManifest}
	for _, tc := range []struct {
		name string
		d    v1.Descriptor
		want bool
	}{
		{"an image", v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}, true},
		{"buildx attestation", v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}, Annotations: mark}, false},
		{"marked, of a real platform", v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}, Annotations: mark}, true},
		{"marked, of no platform", v1.Descriptor{Annotations: mark}, true},
		{"unknown/unknown, unmarked", v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}}, true},
	} {
		if got := Pullable(tc.d); got != tc.want {
			t.Errorf("%s: Pullable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// FuzzInlineAttestations: whatever the bytes, no panic, and every digest
// returned is named by an attestation entry.
func FuzzInlineAttestations(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"digest":"` + att + `","annotations":{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"` + img + `"}}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for d := range InlineAttestations(raw) {
			if d == "" {
				t.Errorf("an empty digest from %q", raw)
			}
		}
	})
}

// TestPlatforms: what a ledger records of an index: each platform's
// entry, not buildx's unknown/unknown attestations nor an entry with no
// platform.
func TestPlatforms(t *testing.T) {
	raw := `{"schemaVersion":2,"manifests":[
		{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + img + `","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
		{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + att + `","size":1,"platform":{"os":"unknown","architecture":"unknown"},
		 "annotations":{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"` + img + `"}},
		{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + att + `","size":1}]}`
	got, err := Platforms([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]ledger.Platform{{Platform: "linux/arm64/v8", Digest: img}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := Platforms([]byte("<html>")); err == nil {
		t.Error("not JSON: no error")
	}
}
