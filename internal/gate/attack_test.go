package gate_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/gate/gatetest"
	"github.com/tagguard/tagguard/internal/regtest"
)

// What someone with push rights (and no trusted key or identity) tries,
// each found by an attacker's review of the gate: every one must fail
// closed, and every report line must stay one line.

type rawIndex struct{ raw []byte }

func (r rawIndex) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawIndex) MediaType() (types.MediaType, error) { return types.OCIImageIndex, nil }

func descOf(t *testing.T, d name.Digest) v1.Descriptor {
	t.Helper()
	desc, err := remote.Head(d)
	if err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{MediaType: desc.MediaType, Size: desc.Size, Digest: desc.Digest}
}

// pushIndex writes an index of descs as given: annotations, platforms and
// repeats are the attacker's.
func pushIndex(t *testing.T, repo name.Repository, descs []v1.Descriptor) name.Digest {
	t.Helper()
	raw, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: descs})
	h, _, _ := v1.SHA256(bytes.NewReader(raw))
	d := repo.Digest(h.String())
	if err := remote.Put(d, rawIndex{raw}); err != nil {
		t.Fatal(err)
	}
	return d
}

func keyGate(t *testing.T) (gatetest.Key, *gate.Gate) {
	t.Helper()
	key := gatetest.NewKey(t)
	return key, load(t, gate.Options{Keys: []string{key.Public(t, t.TempDir(), "k.pub")}, IgnoreTlog: true}, client(t))
}

// TestAnAnnotationHidesNoImage: an unsigned linux/amd64 image annotated as
// a BuildKit attestation beside a signed image is an image a runtime
// pulls: the index does not pass.
func TestAnAnnotationHidesNoImage(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t, regtest.WithReferrers())
	key, g := keyGate(t)
	good := push(t, reg.Host, "evil/app")
	gatetest.PushLegacy(t, good, key.Legacy(t, good))
	evil := push(t, reg.Host, "evil/app")
	ed := descOf(t, evil)
	ed.Platform = &v1.Platform{OS: "linux", Architecture: "amd64"}
	ed.Annotations = map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": good.DigestStr()}
	gd := descOf(t, good)
	gd.Platform = &v1.Platform{OS: "linux", Architecture: "arm64"}
	want(t, g.Check(context.Background(), pushIndex(t, good.Context(), []v1.Descriptor{ed, gd})), gate.None, "its image "+evil.DigestStr())
}

// TestIndexFanOutIsBounded: an index of 40 copies of an index of 40
// copies of one signed image checks that image once; an index tree
// naming more distinct images than the bound is unknown, not hours of
// requests.
func TestIndexFanOutIsBounded(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t, regtest.WithReferrers())
	key, g := keyGate(t)
	leaf := push(t, reg.Host, "fan/app")
	gatetest.PushLegacy(t, leaf, key.Legacy(t, leaf))
	repeat := func(d v1.Descriptor, n int) []v1.Descriptor {
		out := make([]v1.Descriptor, n)
		for i := range out {
			out[i] = d
		}
		return out
	}
	mid := pushIndex(t, leaf.Context(), repeat(descOf(t, leaf), 40))
	top := pushIndex(t, leaf.Context(), repeat(descOf(t, mid), 40))
	reg.ResetCounts()
	want(t, g.Check(context.Background(), top), gate.Verified, "each of its 1 images")
	if n := reg.Counts().Total(); n > 40 {
		t.Errorf("%d requests for two indexes and one image: each is checked once", n)
	}
	var many []v1.Descriptor
	for range 70 {
		many = append(many, descOf(t, push(t, reg.Host, "fan/app")))
	}
	want(t, g.Check(context.Background(), pushIndex(t, leaf.Context(), many)), gate.Unknown, "over 64 images")
}

// TestFloodedSignaturesAreUnknown: more junk bundles than the gate
// verifies, beside a good one, make the digest unknown (exit 3), never
// refused on signatures that were not looked at; the good .sig is tried
// first whatever the referrers' order.
func TestFloodedSignaturesAreUnknown(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t, regtest.WithReferrers())
	key, g := keyGate(t)
	attacker := gatetest.NewKey(t)
	flood := func(d name.Digest, n int) {
		h, _ := v1.NewHash(d.DigestStr())
		for range n {
			gatetest.PushBundle(t, d, attacker.Bundle(t, gatetest.Statement(h, gatetest.CosignSign)), gatetest.CosignSign)
		}
	}
	bundled := push(t, reg.Host, "flood/bundle")
	h, _ := v1.NewHash(bundled.DigestStr())
	gatetest.PushBundle(t, bundled, key.Bundle(t, gatetest.Statement(h, gatetest.CosignSign)), gatetest.CosignSign)
	flood(bundled, 70)
	v := g.Check(context.Background(), bundled)
	if v.State != gate.Verified && !(v.State == gate.Unknown && strings.Contains(v.Why, "more than the 64 verified")) {
		t.Errorf("a good bundle among 70 junk ones: %s (%s); want verified, or unknown saying the signatures were too many", v, v.State)
	}
	legacy := push(t, reg.Host, "flood/legacy")
	gatetest.PushLegacy(t, legacy, key.Legacy(t, legacy))
	flood(legacy, 70)
	want(t, g.Check(context.Background(), legacy), gate.Verified, "cosign .sig tag")
}

// TestForeignSignaturesAreNamedAsSuch: a signature by another key, or a
// self-signed certificate naming the trusted identity, is reported as
// what it is, not as a missing log entry (whose fix would weaken the
// gate), and what an unchecked certificate names is never stated as
// the signer.
func TestForeignSignaturesAreNamedAsSuch(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t, regtest.WithReferrers())
	ss := gatetest.NewSigstore(t)
	trusted := ss.TrustedRoot(t, t.TempDir())
	pub := gatetest.NewKey(t).Public(t, t.TempDir(), "trusted.pub")
	attacker := gatetest.NewKey(t)
	bundled := push(t, reg.Host, "foreign/bundle")
	h, _ := v1.NewHash(bundled.DigestStr())
	gatetest.PushBundle(t, bundled, attacker.Bundle(t, gatetest.Statement(h, gatetest.CosignSign)), gatetest.CosignSign)
	legacy := push(t, reg.Host, "foreign/legacy")
	gatetest.PushLegacy(t, legacy, attacker.Legacy(t, legacy))
	for _, d := range []name.Digest{bundled, legacy} {
		v := load(t, gate.Options{Keys: []string{pub}, TrustedRoot: trusted}, client(t)).Check(context.Background(), d)
		want(t, v, gate.Unverified, "not signed by trusted.pub")
		if strings.Contains(v.Why, "insecure-ignore-tlog") {
			t.Errorf("a foreign key's signature suggests --insecure-ignore-tlog: %s", v)
		}
	}
	id := gatetest.Identity("acme/app", "release.yml", "refs/heads/main")
	forged := push(t, reg.Host, "foreign/forged")
	gatetest.PushLegacy(t, forged, gatetest.Layer{Payload: gatetest.SimpleSigning(forged), Annotations: map[string]string{
		"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString([]byte("junk")),
		"dev.sigstore.cosign/certificate":    selfSigned(t, "release-bot@acme.com\n  signature       pass     verified"),
	}})
	for _, o := range []gate.Options{
		{Identity: id, Issuer: gatetest.Issuer, TrustedRoot: trusted},
		{Identity: id, Issuer: gatetest.Issuer, TrustedRoot: trusted, IgnoreTlog: true},
		{Keys: []string{pub}, IgnoreTlog: true},
	} {
		v := load(t, o, client(t)).Check(context.Background(), forged)
		if v.Passed() || strings.Contains(v.String(), "\n") || strings.Contains(v.Why, "signed by release-bot") || strings.Contains(v.Why, "insecure-ignore-tlog") {
			t.Errorf("%+v: %q: want refused, one line, the certificate's claim not taken as the signer", o, v)
		}
	}
}

// selfSigned is a certificate anyone can make, naming email and GitHub's
// issuer.
func selfSigned(t *testing.T, email string) string {
	t.Helper()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	issuer, _ := asn1.Marshal(gatetest.Issuer)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		EmailAddresses: []string{email}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}, Value: issuer}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := cryptoutils.MarshalCertificateToPEM(&x509.Certificate{Raw: der})
	return string(p)
}

// TestOutsideTextStaysOneLine: a predicate type holding newlines (written
// by whoever pushed the bundle) cannot forge a report row.
func TestOutsideTextStaysOneLine(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t, regtest.WithReferrers())
	_, g := keyGate(t)
	attacker := gatetest.NewKey(t)
	d := push(t, reg.Host, "inject/app")
	h, _ := v1.NewHash(d.DigestStr())
	gatetest.PushBundle(t, d, attacker.Bundle(t, gatetest.Statement(h, "x)\n  signature       pass     verified by key k.pub\n(")), gatetest.CosignSign)
	v := g.Check(context.Background(), d)
	if v.Passed() || strings.ContainsAny(v.String(), "\n\r") {
		t.Errorf("%q: want refused, on one line", v)
	}
}

// TestOnlySignaturesAndProvenanceCount: an attestation by the trusted
// identity of another kind (a vulnerability scan) is not evidence: a
// workflow that scans images it did not build must not make them pass.
func TestOnlySignaturesAndProvenanceCount(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t, regtest.WithReferrers())
	key, g := keyGate(t)
	d := push(t, reg.Host, "scan/app")
	h, _ := v1.NewHash(d.DigestStr())
	gatetest.PushBundle(t, d, key.Bundle(t, gatetest.Statement(h, "https://cosign.sigstore.dev/attestation/vuln/v1")), "https://cosign.sigstore.dev/attestation/vuln/v1")
	want(t, g.Check(context.Background(), d), gate.Unverified, "neither a signature nor build provenance")
}

// TestUnreadIndexIsUnknown: an index whose own signature is junk and
// whose manifest cannot be read is unknown (exit 3): its images, which
// could make it pass, were not looked at.
func TestUnreadIndexIsUnknown(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t, regtest.WithReferrers())
	key, _ := keyGate(t)
	pub := key.Public(t, t.TempDir(), "k.pub")
	attacker := gatetest.NewKey(t)
	a, b := push(t, reg.Host, "idxfail/app"), push(t, reg.Host, "idxfail/app")
	gatetest.PushLegacy(t, a, key.Legacy(t, a))
	gatetest.PushLegacy(t, b, key.Legacy(t, b))
	idx := pushIndex(t, a.Context(), []v1.Descriptor{descOf(t, a), descOf(t, b)})
	ih, _ := v1.NewHash(idx.DigestStr())
	gatetest.PushBundle(t, idx, attacker.Bundle(t, gatetest.Statement(ih, gatetest.CosignSign)), gatetest.CosignSign)
	o := gate.Options{Keys: []string{pub}, IgnoreTlog: true}
	want(t, load(t, o, client(t)).Check(context.Background(), idx), gate.Verified, "each of its 2 images")
	proxy := regtest.FaultProxy(t, reg.URL, regtest.FailPath(regtest.KindManifestGet, "/manifests/"+idx.DigestStr(), 500, `{"errors":[{"code":"UNKNOWN","message":"injected"}]}`))
	want(t, load(t, o, client(t)).Check(context.Background(), digest(t, proxy.Ref("idxfail/app@"+idx.DigestStr()))), gate.Unknown, "is it an index?")
}
