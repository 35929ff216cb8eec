// Package gatetest makes real signatures for tests, offline, and attaches
// them where cosign does: a Sigstore bundle as an OCI 1.1 referrer (cosign
// v3's default), or a layer of the legacy sha256-<hex>.sig image. Keyless
// signatures come from sigstore-go's VirtualSigstore (a Fulcio CA, a Rekor
// log and a timestamp authority in memory), key-signed ones from an ECDSA
// P-256 key as cosign generate-key-pair makes. Nothing here verifies:
// package gate does, with sigstore-go.
package gatetest

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/tagguard/tagguard/internal/oci"
)

// Predicate types.
const (
	CosignSign = oci.CosignSignPredicate          // cosign v3's signature
	SLSA       = "https://slsa.dev/provenance/v1" // attest-build-provenance
	Issuer     = "https://token.actions.githubusercontent.com"
)

// Identity is a GitHub Actions workflow identity as Fulcio writes it.
func Identity(repo, workflow, ref string) string {
	return "https://github.com/" + repo + "/.github/workflows/" + workflow + "@" + ref
}

// Sigstore is a Sigstore instance in memory.
type Sigstore struct{ vs *ca.VirtualSigstore }

// NewSigstore starts one.
func NewSigstore(t testing.TB) *Sigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	return &Sigstore{vs: vs}
}

// TrustedRoot writes the instance's trusted_root.json into dir (no CT log:
// its certificates carry no SCT, as a private instance's need not) and
// returns its path.
func (s *Sigstore) TrustedRoot(t testing.TB, dir string) string {
	t.Helper()
	logs := map[string]*root.TransparencyLog{}
	for id, l := range s.vs.RekorLogs() {
		c := *l
		raw, err := hex.DecodeString(id)
		if err != nil {
			t.Fatal(err)
		}
		c.ID = raw
		c.ValidityPeriodEnd = time.Time{}
		logs[id] = &c
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, s.vs.FulcioCertificateAuthorities(), nil, s.vs.TimestampingAuthorities(), logs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Statement is an in-toto statement of predicateType about subject.
func Statement(subject v1.Hash, predicateType string) []byte {
	b, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "image", "digest": map[string]string{"sha256": subject.Hex}}},
		"predicateType": predicateType,
		"predicate":     map[string]any{},
	})
	return b
}

// Bundle is a keyless Sigstore bundle (v0.3: the certificate, a log entry
// with its inclusion proof and promise, a timestamp) of a DSSE envelope
// holding statement, signed as identity.
func (s *Sigstore) Bundle(t testing.TB, identity string, statement []byte) []byte {
	t.Helper()
	return s.bundle(t, identity, statement, true)
}

// BundleNoLog is Bundle with no log entry, its time from the timestamp
// authority alone: what GitHub's attest actions make for a private
// repository (GitHub's own Sigstore instance keeps no public log).
func (s *Sigstore) BundleNoLog(t testing.TB, identity string, statement []byte) []byte {
	t.Helper()
	return s.bundle(t, identity, statement, false)
}

func (s *Sigstore) bundle(t testing.TB, identity string, statement []byte, logged bool) []byte {
	t.Helper()
	e, err := s.vs.AttestAtTime(identity, Issuer, statement, time.Now().Add(time.Minute), true)
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := e.VerificationContent()
	sc, _ := e.SignatureContent()
	env := sc.EnvelopeContent().RawEnvelope()
	entries, _ := e.TlogEntries()
	ts, _ := e.Timestamps()
	vm := &protobundle.VerificationMaterial{
		Content: &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
	}
	if logged {
		vm.TlogEntries = []*protorekor.TransparencyLogEntry{s.entry(t, entries[0])}
	}
	for _, b := range ts {
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: b}}}
	}
	return marshal(t, &protobundle.Bundle{
		MediaType:            "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: vm,
		Content:              &protobundle.Bundle_DsseEnvelope{DsseEnvelope: protoEnvelope(t, env)},
	})
}

// entry is e as a bundle holds it: with its kind and version, and the
// log's promise (signed entry timestamp) beside its inclusion proof.
func (s *Sigstore) entry(t testing.TB, e *tlog.Entry) *protorekor.TransparencyLogEntry {
	t.Helper()
	tle := e.TransparencyLogEntry()
	var kv struct{ Kind, APIVersion string }
	if err := json.Unmarshal(tle.CanonicalizedBody, &kv); err != nil {
		t.Fatal(err)
	}
	tle.KindVersion = &protorekor.KindVersion{Kind: kv.Kind, Version: kv.APIVersion}
	set, err := s.vs.RekorSignPayload(tlog.RekorPayload{
		Body: base64.StdEncoding.EncodeToString(tle.CanonicalizedBody), IntegratedTime: tle.IntegratedTime,
		LogIndex: tle.LogIndex, LogID: hex.EncodeToString(tle.LogId.KeyId),
	})
	if err != nil {
		t.Fatal(err)
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	return tle
}

// Legacy is a keyless legacy signature layer: cosign's simple-signing
// payload for subject and the annotations cosign writes beside it (the
// signature, the certificate and its chain, the log entry as cosign's
// bundle annotation, a timestamp).
func (s *Sigstore) Legacy(t testing.TB, subject name.Digest, identity string) Layer {
	t.Helper()
	payload := SimpleSigning(subject)
	e, err := s.vs.Sign(identity, Issuer, payload)
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := e.VerificationContent()
	sc, _ := e.SignatureContent()
	entries, _ := e.TlogEntries()
	ts, _ := e.Timestamps()
	cas := s.vs.FulcioCertificateAuthorities()[0].(*root.FulcioCertificateAuthority)
	leaf, _ := cryptoutils.MarshalCertificateToPEM(vc.Certificate())
	chain, _ := cryptoutils.MarshalCertificatesToPEM(append(cas.Intermediates, cas.Root))
	tle := s.entry(t, entries[0])
	rb, _ := json.Marshal(map[string]any{
		"SignedEntryTimestamp": tle.InclusionPromise.SignedEntryTimestamp,
		"Payload": map[string]any{
			"body": base64.StdEncoding.EncodeToString(tle.CanonicalizedBody), "integratedTime": tle.IntegratedTime,
			"logIndex": tle.LogIndex, "logID": hex.EncodeToString(tle.LogId.KeyId),
		},
	})
	tsa, _ := json.Marshal(map[string][]byte{"SignedRFC3161Timestamp": ts[0]})
	return Layer{Payload: payload, Annotations: map[string]string{
		"dev.cosignproject.cosign/signature":   base64.StdEncoding.EncodeToString(sc.Signature()),
		"dev.sigstore.cosign/certificate":      string(leaf),
		"dev.sigstore.cosign/chain":            string(chain),
		"dev.sigstore.cosign/bundle":           string(rb),
		"dev.sigstore.cosign/rfc3161timestamp": string(tsa),
	}}
}

func protoEnvelope(t testing.TB, env *dsse.Envelope) *protodsse.Envelope {
	t.Helper()
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	out := &protodsse.Envelope{Payload: payload, PayloadType: env.PayloadType}
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			t.Fatal(err)
		}
		out.Signatures = append(out.Signatures, &protodsse.Signature{Sig: sig, Keyid: s.KeyID})
	}
	return out
}

func marshal(t testing.TB, pb *protobundle.Bundle) []byte {
	t.Helper()
	b, err := bundle.NewBundle(pb)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := b.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
