package oci

import "testing"

// TestEntriesAndImage: an index's entries in its order, an image's
// layers; bytes that are not the one are no answer, never a panic.
func TestEntriesAndImage(t *testing.T) {
	index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
		{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + img + `","size":1,"platform":{"os":"linux","architecture":"amd64"}},
		{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + att + `","size":1}]}`
	es, err := Entries([]byte(index))
	if err != nil || len(es) != 2 || es[0].Digest.String() != img || es[1].Digest.String() != att || es[0].Platform.Architecture != "amd64" {
		t.Errorf("Entries = %+v, %v", es, err)
	}
	image := `{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + img + `","size":1},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"` + att + `","size":1}]}`
	m, err := Image([]byte(image))
	if err != nil || len(m.Layers) != 1 || m.Config.Digest.String() != img {
		t.Errorf("Image = %+v, %v", m, err)
	}
	for _, bad := range []string{"", "<html>", `{"manifests":"x"}`} {
		if _, err := Entries([]byte(bad)); err == nil {
			t.Errorf("Entries(%q): no error", bad)
		}
	}
}

// FuzzEntries: whatever the bytes, no panic.
func FuzzEntries(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"digest":"` + img + `"}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, _ = Entries(raw)
		_, _ = Image(raw)
	})
}
