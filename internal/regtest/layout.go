package regtest

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Cosign is the path of a fixture in testdata/cosign: what the real cosign wrote to a
// distribution registry (v3.0.0) for one subject image, exported as OCI
// layouts: the subject (ref name "subject"), each tag cosign wrote for it
// (its legacy tags and the referrers fallback tag, as cosign listed it)
// and each referrer by digest. Made with a key (cosign.pub) and no
// transparency log, offline:
//
//	v3.1.3: cosign sign --key, then cosign attest --key --type slsaprovenance
//	        (both Sigstore bundles, stored as OCI 1.1 referrers)
//	v2.6.5-legacy: the same with v2 (--tlog-upload=false): the legacy
//	        sha256-<hex>.sig and .att tags
//	v2.6.5-new-bundle-format: the same with --new-bundle-format: bundles
//	        as referrers, which cosign lists in the fallback tag under the
//	        empty type (application/vnd.oci.empty.v1+json)
//
// cosign.pub is the key; the fixtures' names are the directories.
func Cosign(fixture string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "cosign", fixture)
}

// PushLayout pushes a fixture layout's subject, referrers and tags into
// repo, the fallback tag last so that cosign's own listing is what the
// registry serves, and returns the subject's digest.
func PushLayout(t testing.TB, dir string, repo name.Repository) name.Digest {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var subject name.Digest
	var tagged []func()
	for _, desc := range m.Manifests {
		refName := desc.Annotations["org.opencontainers.image.ref.name"]
		var target name.Reference = repo.Digest(desc.Digest.String())
		switch {
		case refName == "subject":
			subject = repo.Digest(desc.Digest.String())
		case refName != "":
			target = repo.Tag(refName)
		}
		push := func() {
			if desc.MediaType.IsIndex() {
				ii, err := idx.ImageIndex(desc.Digest)
				if err != nil {
					t.Fatal(err)
				}
				if err := remote.WriteIndex(target, ii); err != nil {
					t.Fatalf("pushing %s: %v", target, err)
				}
				return
			}
			img, err := idx.Image(desc.Digest)
			if err != nil {
				t.Fatal(err)
			}
			if err := remote.Write(target, img); err != nil {
				t.Fatalf("pushing %s: %v", target, err)
			}
		}
		if strings.HasPrefix(refName, "sha256-") && desc.MediaType.IsIndex() {
			tagged = append(tagged, push)
			continue
		}
		if refName == "subject" {
			push() // first: a referrer's subject must be there
			continue
		}
		tagged = append([]func(){push}, tagged...)
	}
	for _, push := range tagged {
		push()
	}
	if subject.Name() == "" {
		t.Fatal("the fixture has no subject")
	}
	return subject
}
