package oci

import (
	"bytes"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Entries are the manifests an index's bytes name, in the index's order:
// the one place tagguard parses an index. The registry client has hashed
// the bytes and bounded their size and entries before anyone calls this.
func Entries(raw []byte) ([]v1.Descriptor, error) {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	return idx.Manifests, nil
}

// Image is an image manifest's bytes parsed (its config and layers): the
// one place tagguard parses an image manifest.
func Image(raw []byte) (*v1.Manifest, error) {
	return v1.ParseManifest(bytes.NewReader(raw))
}
