package gatetest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
)

// Key is a signing key as cosign generate-key-pair makes (ECDSA P-256).
type Key struct{ priv *ecdsa.PrivateKey }

// NewKey makes one.
func NewKey(t testing.TB) Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Key{priv: priv}
}

// Public writes the public key (cosign.pub's PEM) into dir as file.
func (k Key) Public(t testing.TB, dir, file string) string {
	t.Helper()
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func (k Key) signer(t testing.TB) signature.SignerVerifier {
	s, err := signature.LoadECDSASignerVerifier(k.priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Legacy is a key-signed legacy layer with no log entry (cosign sign
// --key --tlog-upload=false).
func (k Key) Legacy(t testing.TB, subject name.Digest) Layer {
	t.Helper()
	payload := SimpleSigning(subject)
	sig, err := k.signer(t).SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	return Layer{Payload: payload, Annotations: map[string]string{"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig)}}
}

// Bundle is a key-signed bundle with no log entry of a DSSE envelope
// holding statement (cosign v3 sign --key with no log).
func (k Key) Bundle(t testing.TB, statement []byte) []byte {
	t.Helper()
	pub, _ := cryptoutils.MarshalPublicKeyToDER(k.priv.Public())
	sum := sha256.Sum256(pub)
	es, err := dsse.NewEnvelopeSigner(&sigdsse.SignerAdapter{SignatureSigner: k.signer(t), Pub: k.priv.Public()})
	if err != nil {
		t.Fatal(err)
	}
	env, err := es.SignPayload(context.Background(), "application/vnd.in-toto+json", statement)
	if err != nil {
		t.Fatal(err)
	}
	return marshal(t, &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: base64.StdEncoding.EncodeToString(sum[:])}},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: protoEnvelope(t, env)},
	})
}
