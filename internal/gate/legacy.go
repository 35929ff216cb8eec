package gate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/tagguard/tagguard/internal/oci"
)

// cosign's legacy signature layer and the annotations it keeps beside it.
const (
	simpleSigning  = "application/vnd.dev.cosign.simplesigning.v1+json"
	sigAnnotation  = "dev.cosignproject.cosign/signature"
	certAnnotation = "dev.sigstore.cosign/certificate"
	chainAnnotaton = "dev.sigstore.cosign/chain"
	rekorBundle    = "dev.sigstore.cosign/bundle"
	rfc3161        = "dev.sigstore.cosign/rfc3161timestamp"
	legacyVia      = "cosign .sig tag"
)

// legacy tries each signature in a cosign sha256-<hex>.sig manifest: one
// layer per signature, the simple-signing payload as the layer and the
// signature, certificate and log entry as its annotations. Each is
// rebuilt as a Sigstore bundle (v0.1, the shape cosign's own log entries
// have) and verified by sigstore-go over the payload's bytes; then the
// payload must name d (a real signature copied under another image's .sig
// tag verifies, and names its own image).
func (g *Gate) legacy(ctx context.Context, reg Registry, d name.Digest, m oci.Attachment, limit int) (out []candidate, untried int) {
	man, err := reg.Manifest(ctx, m.Digest)
	if err != nil {
		return []candidate{{via: legacyVia, err: fmt.Errorf("%w: %v", errRead, err)}}, 0
	}
	parsed, err := oci.Image(man.Raw)
	if err != nil {
		return []candidate{{via: legacyVia, err: fmt.Errorf("not an image manifest: %v", err)}}, 0
	}
	for _, l := range parsed.Layers {
		if string(l.MediaType) != simpleSigning {
			continue
		}
		if len(out) >= limit {
			untried++
			continue
		}
		c := candidate{via: legacyVia}
		c.by, c.err = g.legacyLayer(ctx, reg, d, l)
		out = append(out, c)
	}
	return out, untried
}

func (g *Gate) legacyLayer(ctx context.Context, reg Registry, d name.Digest, l v1.Descriptor) (string, error) {
	if l.Size > maxPayload {
		return "", fmt.Errorf("a payload of %d bytes, over %d: refused (cosign's are a few hundred)", l.Size, maxPayload)
	}
	payload, err := reg.Blob(ctx, d.Context(), l.Digest, maxPayload)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errRead, err)
	}
	e, err := legacyEntity(payload, l.Annotations)
	if err != nil {
		return "", err
	}
	by, err := g.verifyEntity(e, func() verify.ArtifactPolicyOption { return verify.WithArtifact(bytes.NewReader(payload)) })
	if err != nil {
		return "", err
	}
	var p struct {
		Critical struct {
			Image struct {
				Digest string `json:"docker-manifest-digest"`
			} `json:"image"`
			Type string `json:"type"`
		} `json:"critical"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return "", fmt.Errorf("the signed payload is not cosign's simple-signing JSON: %v", err)
	}
	if p.Critical.Type != "cosign container image signature" {
		return "", fmt.Errorf("the signed payload is of type %q, not a cosign container image signature", p.Critical.Type)
	}
	if p.Critical.Image.Digest != d.DigestStr() {
		return "", fmt.Errorf("the signature is over %s, another digest (a signature copied from another image)", p.Critical.Image.Digest)
	}
	return by, nil
}

// legacyEntity rebuilds a legacy signature layer as the bundle cosign
// would have written: the signature over the payload, the certificate
// and its chain (keyless) or a key to be named by the verifier, the log
// entry's inclusion promise, a timestamp authority's response.
func legacyEntity(payload []byte, ann map[string]string) (*bundle.Bundle, error) {
	sig, err := base64.StdEncoding.DecodeString(ann[sigAnnotation])
	if err != nil || len(sig) == 0 {
		return nil, errors.New("a layer with no signature annotation")
	}
	vm := &protobundle.VerificationMaterial{}
	if pemCert := ann[certAnnotation]; pemCert != "" {
		certs, err := cryptoutils.UnmarshalCertificatesFromPEM([]byte(pemCert + "\n" + ann[chainAnnotaton]))
		if err != nil || len(certs) == 0 {
			return nil, fmt.Errorf("the certificate annotation is not PEM certificates: %v", err)
		}
		chain := &protocommon.X509CertificateChain{}
		for _, c := range certs {
			chain.Certificates = append(chain.Certificates, &protocommon.X509Certificate{RawBytes: c.Raw})
		}
		vm.Content = &protobundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: chain}
	} else {
		vm.Content = &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{}}
	}
	if raw := ann[rekorBundle]; raw != "" {
		entry, err := rekorEntry(raw)
		if err != nil {
			return nil, err
		}
		vm.TlogEntries = []*protorekor.TransparencyLogEntry{entry}
	}
	if raw := ann[rfc3161]; raw != "" {
		var ts struct {
			SignedRFC3161Timestamp []byte `json:"SignedRFC3161Timestamp"`
		}
		if err := json.Unmarshal([]byte(raw), &ts); err != nil {
			return nil, fmt.Errorf("the timestamp annotation: %v", err)
		}
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: ts.SignedRFC3161Timestamp}}}
	}
	sum := sha256.Sum256(payload)
	b, err := bundle.NewBundle(&protobundle.Bundle{
		MediaType:            "application/vnd.dev.sigstore.bundle+json;version=0.1",
		VerificationMaterial: vm,
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: sum[:]},
			Signature:     sig,
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("not a signature sigstore-go can read: %v", err)
	}
	return b, nil
}

// rekorEntry is cosign's bundle annotation (Rekor's signed entry
// timestamp and the entry it promises) as a log entry.
func rekorEntry(raw string) (*protorekor.TransparencyLogEntry, error) {
	var rb struct {
		SignedEntryTimestamp []byte `json:"SignedEntryTimestamp"`
		Payload              struct {
			Body           []byte `json:"body"`
			IntegratedTime int64  `json:"integratedTime"`
			LogIndex       int64  `json:"logIndex"`
			LogID          string `json:"logID"`
		} `json:"Payload"`
	}
	if err := json.Unmarshal([]byte(raw), &rb); err != nil {
		return nil, fmt.Errorf("the log entry annotation is not cosign's bundle: %v", err)
	}
	id, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil {
		return nil, fmt.Errorf("the log entry annotation: its logID is not hex: %v", err)
	}
	var kv struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(rb.Payload.Body, &kv); err != nil {
		return nil, fmt.Errorf("the log entry annotation: its body is not a Rekor entry: %v", err)
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:          rb.Payload.LogIndex,
		LogId:             &protocommon.LogId{KeyId: id},
		KindVersion:       &protorekor.KindVersion{Kind: kv.Kind, Version: kv.APIVersion},
		IntegratedTime:    rb.Payload.IntegratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp},
		CanonicalizedBody: rb.Payload.Body,
	}, nil
}
