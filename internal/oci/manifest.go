package oci

import (
	"bytes"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Entries are the manifests an index's bytes name, in the index's order:
// the one place tagguard parses an index. This file holds every view of a
// manifest's bytes tagguard reads (Entries, Image, Shape, Artifact), and
// the bounds a manifest is held to. The registry client has hashed
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

// Bounds on what a manifest may hold, checked before anything is copied:
// go-containerregistry re-reads a manifest once per layer while copying,
// so a hostile one with ten thousand layers keeps a CPU busy past any
// timeout. Real images have well under a hundred layers (Docker refuses
// to run more than 127) and indexes a few dozen entries.
const (
	MaxManifest = 4 << 20 // bytes, the distribution registry's own limit
	MaxLayers   = 500
	MaxChildren = 1000
)

// Shape is what a manifest's bytes say of their own size and kind,
// whatever the kind: its schema version (1 is Docker schema1) and how
// many layers and entries it lists. Bytes that are not JSON have the zero
// Shape.
type Shape struct {
	SchemaVersion int
	Layers        int
	Manifests     int
}

// ShapeOf reads raw's Shape.
func ShapeOf(raw []byte) Shape {
	var v struct {
		SchemaVersion int               `json:"schemaVersion"`
		Layers        []json.RawMessage `json:"layers"`
		Manifests     []json.RawMessage `json:"manifests"`
	}
	_ = json.Unmarshal(raw, &v)
	return Shape{SchemaVersion: v.SchemaVersion, Layers: len(v.Layers), Manifests: len(v.Manifests)}
}

// Artifact is what a referrer's manifest says of itself (an OCI image
// manifest, an index, or the 1.1-rc artifact manifest: each keeps these
// fields at the top).
type Artifact struct {
	ArtifactType    string // its artifactType field
	ConfigMediaType string // its config's media type
	Subject         string // the digest it refers to, "" when none
	Annotations     map[string]string
	Layers          []v1.Descriptor // an image manifest's layers
}

// Type is the artifact's type: its artifactType, else, as the OCI image
// spec says, its config's media type (unless that is the empty config).
func (a Artifact) Type() string {
	if a.ArtifactType == "" && a.ConfigMediaType != "application/vnd.oci.empty.v1+json" {
		return a.ConfigMediaType
	}
	return a.ArtifactType
}

// ArtifactOf reads a referrer's manifest bytes.
func ArtifactOf(raw []byte) (Artifact, error) {
	var m struct {
		ArtifactType string `json:"artifactType"`
		Config       struct {
			MediaType string `json:"mediaType"`
		} `json:"config"`
		Subject *struct {
			Digest string `json:"digest"`
		} `json:"subject"`
		Annotations map[string]string `json:"annotations"`
		Layers      []v1.Descriptor   `json:"layers"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return Artifact{}, fmt.Errorf("not a manifest: %w", err)
	}
	a := Artifact{ArtifactType: m.ArtifactType, ConfigMediaType: m.Config.MediaType, Annotations: m.Annotations, Layers: m.Layers}
	if m.Subject != nil {
		a.Subject = m.Subject.Digest
	}
	return a, nil
}
