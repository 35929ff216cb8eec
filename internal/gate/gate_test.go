package gate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/gate"
	"github.com/tagguard/tagguard/internal/gate/gatetest"
	"github.com/tagguard/tagguard/internal/registry"
	"github.com/tagguard/tagguard/internal/regtest"
)

func load(t *testing.T, o gate.Options, reg gate.Registry) *gate.Gate {
	t.Helper()
	g := gate.New(o, reg)
	if err := g.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	return g
}

func client(t *testing.T) *registry.Client {
	t.Helper()
	c, err := registry.New(registry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func digest(t *testing.T, ref string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func push(t *testing.T, host, repo string) name.Digest {
	t.Helper()
	return digest(t, host+"/"+repo+"@"+regtest.PushImage(t, host+"/"+repo+":build").String())
}

// want fails unless v is in state and its text holds every part.
func want(t *testing.T, v gate.Verdict, state gate.State, parts ...string) {
	t.Helper()
	t.Logf("%s: %s", v.Digest[:19], v)
	if v.State != state {
		t.Errorf("verdict %q (%s), want %s", v, v.State, state)
		return
	}
	for _, p := range parts {
		if !strings.Contains(v.String(), p) {
			t.Errorf("verdict %q: want it to say %q", v, p)
		}
	}
}

// TestCosignSignaturesVerify: what the real cosign v2.6.5 and v3.1.3
// signed with cosign.pub (legacy .sig tag; bundles as referrers, on a
// registry with the referrers API and on one with only the fallback tag)
// verifies with that key and --insecure-ignore-tlog; with another key it
// does not, and names the key it wanted; without --insecure-ignore-tlog
// it does not, and says the log entry is missing.
func TestCosignSignaturesVerify(t *testing.T) {
	t.Parallel()
	api, dist := regtest.InProcess(t, regtest.WithReferrers()), regtest.Distribution(t)
	dir := t.TempDir()
	other := gatetest.NewKey(t).Public(t, dir, "other.pub")
	trusted := gatetest.NewSigstore(t).TrustedRoot(t, dir)
	pub := filepath.Join(regtest.Cosign(""), "cosign.pub")
	for _, fixture := range []string{"v3.1.3", "v2.6.5-legacy", "v2.6.5-new-bundle-format"} {
		for _, host := range []string{api.Host, dist.Host} {
			t.Run(fixture+"/"+host, func(t *testing.T) {
				t.Parallel()
				repo, _ := name.NewRepository(host + "/cosign/" + strings.ReplaceAll(fixture, ".", "-"))
				d := regtest.PushLayout(t, regtest.Cosign(fixture), repo)
				c := client(t)
				ctx := context.Background()
				want(t, load(t, gate.Options{Keys: []string{pub}, IgnoreTlog: true}, c).Check(ctx, d), gate.Verified, "cosign.pub")
				want(t, load(t, gate.Options{Keys: []string{other}, IgnoreTlog: true}, c).Check(ctx, d), gate.Unverified, "not signed by other.pub")
				want(t, load(t, gate.Options{Keys: []string{pub}, TrustedRoot: trusted}, c).Check(ctx, d), gate.Unverified, "--insecure-ignore-tlog")
			})
		}
	}
}

// TestTransplantedSignaturesFail: a real signature copied to another
// image (its .sig manifest under the other image's .sig tag; its bundle
// re-attached with the other image as subject) verifies as a signature
// and is refused: it is over another digest.
func TestTransplantedSignaturesFail(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t, regtest.WithReferrers())
	pub := filepath.Join(regtest.Cosign(""), "cosign.pub")
	g := load(t, gate.Options{Keys: []string{pub}, IgnoreTlog: true}, client(t))
	ctx := context.Background()
	t.Run("legacy .sig", func(t *testing.T) {
		repo, _ := name.NewRepository(reg.Host + "/transplant/legacy")
		signed := regtest.PushLayout(t, regtest.Cosign("v2.6.5-legacy"), repo)
		victim := push(t, reg.Host, "transplant/legacy")
		sig, err := remote.Image(repo.Tag(strings.Replace(signed.DigestStr(), ":", "-", 1) + ".sig"))
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(repo.Tag(strings.Replace(victim.DigestStr(), ":", "-", 1)+".sig"), sig); err != nil {
			t.Fatal(err)
		}
		want(t, g.Check(ctx, victim), gate.Unverified, "over "+signed.DigestStr()+", another digest")
	})
	t.Run("bundle", func(t *testing.T) {
		key := gatetest.NewKey(t)
		kpub := key.Public(t, t.TempDir(), "k.pub")
		signed := push(t, reg.Host, "transplant/bundle")
		victim := push(t, reg.Host, "transplant/bundle")
		h, _ := v1.NewHash(signed.DigestStr())
		gatetest.PushBundle(t, victim, key.Bundle(t, gatetest.Statement(h, gatetest.CosignSign)), gatetest.CosignSign)
		g := load(t, gate.Options{Keys: []string{kpub}, IgnoreTlog: true}, client(t))
		want(t, g.Check(ctx, victim), gate.Unverified, "over another digest")
	})
}

// TestKeylessSignaturesVerify: keyless signatures made by a Sigstore
// instance (VirtualSigstore: Fulcio, Rekor and a timestamp authority in
// memory), as a bundle and as a legacy .sig layer with cosign's
// annotations, verify against its trusted root for the identity that
// signed; another identity, another issuer or another instance's root
// does not.
func TestKeylessSignaturesVerify(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t, regtest.WithReferrers())
	ss := gatetest.NewSigstore(t)
	dir := t.TempDir()
	trusted := ss.TrustedRoot(t, dir)
	foreign := gatetest.NewSigstore(t).TrustedRoot(t, t.TempDir())
	id := gatetest.Identity("acme/app", "release.yml", "refs/heads/main")
	ctx := context.Background()

	bundled := push(t, reg.Host, "keyless/bundle")
	h, _ := v1.NewHash(bundled.DigestStr())
	gatetest.PushBundle(t, bundled, ss.Bundle(t, id, gatetest.Statement(h, gatetest.CosignSign)), gatetest.CosignSign)
	legacy := push(t, reg.Host, "keyless/legacy")
	gatetest.PushLegacy(t, legacy, ss.Legacy(t, legacy, id))
	provenance := push(t, reg.Host, "keyless/provenance")
	ph, _ := v1.NewHash(provenance.DigestStr())
	gatetest.PushBundle(t, provenance, ss.Bundle(t, id, gatetest.Statement(ph, gatetest.SLSA)), gatetest.SLSA)

	for _, d := range []name.Digest{bundled, legacy, provenance} {
		t.Run(d.RepositoryStr(), func(t *testing.T) {
			c := client(t)
			right := gate.Options{Identity: id, Issuer: gatetest.Issuer, TrustedRoot: trusted}
			want(t, load(t, right, c).Check(ctx, d), gate.Verified, id, gatetest.Issuer)
			re := gate.Options{IdentityRegexp: `^https://github\.com/acme/app/`, Issuer: gatetest.Issuer, TrustedRoot: trusted}
			want(t, load(t, re, c).Check(ctx, d), gate.Verified, id)
			wrongID := gate.Options{Identity: gatetest.Identity("mallory/app", "release.yml", "refs/heads/main"), Issuer: gatetest.Issuer, TrustedRoot: trusted}
			want(t, load(t, wrongID, c).Check(ctx, d), gate.Unverified, "signed by "+id, "not the identity asked for")
			wrongIssuer := gate.Options{Identity: id, Issuer: "https://accounts.google.com", TrustedRoot: trusted}
			want(t, load(t, wrongIssuer, c).Check(ctx, d), gate.Unverified, "not the identity asked for")
			elsewhere := gate.Options{Identity: id, Issuer: gatetest.Issuer, TrustedRoot: foreign}
			want(t, load(t, elsewhere, c).Check(ctx, d), gate.Unverified)
			keyOnly := gate.Options{Keys: []string{filepath.Join(regtest.Cosign(""), "cosign.pub")}, IgnoreTlog: true}
			want(t, load(t, keyOnly, c).Check(ctx, d), gate.Unverified, "no --certificate-identity")
		})
	}
}

// TestLegacyLogEntryIsChecked: a keyless legacy signature whose log
// entry promise was altered (another log index, the same signature) does
// not verify; the same with --insecure-ignore-tlog verifies on its
// timestamp authority's time alone.
func TestLegacyLogEntryIsChecked(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t, regtest.WithReferrers())
	ss := gatetest.NewSigstore(t)
	trusted := ss.TrustedRoot(t, t.TempDir())
	id := gatetest.Identity("acme/app", "release.yml", "refs/heads/main")
	d := push(t, reg.Host, "keyless/tampered")
	l := ss.Legacy(t, d, id)
	l.Annotations["dev.sigstore.cosign/bundle"] = strings.Replace(l.Annotations["dev.sigstore.cosign/bundle"], `"logIndex":1000`, `"logIndex":1001`, 1)
	gatetest.PushLegacy(t, d, l)
	o := gate.Options{Identity: id, Issuer: gatetest.Issuer, TrustedRoot: trusted}
	want(t, load(t, o, client(t)).Check(context.Background(), d), gate.Unverified, "transparency-log")
	o.IgnoreTlog = true
	want(t, load(t, o, client(t)).Check(context.Background(), d), gate.Verified, id)
}

// TestTimestampOnlyBundle: a keyless bundle with no log entry, its time
// from a timestamp authority alone (GitHub's attestations for a private
// repository), verifies with --insecure-ignore-tlog and not without it.
func TestTimestampOnlyBundle(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t, regtest.WithReferrers())
	ss := gatetest.NewSigstore(t)
	trusted := ss.TrustedRoot(t, t.TempDir())
	id := gatetest.Identity("acme/private", "release.yml", "refs/tags/v1.0.0")
	d := push(t, reg.Host, "private/app")
	h, _ := v1.NewHash(d.DigestStr())
	gatetest.PushBundle(t, d, ss.BundleNoLog(t, id, gatetest.Statement(h, gatetest.SLSA)), gatetest.SLSA)
	o := gate.Options{Identity: id, Issuer: gatetest.Issuer, TrustedRoot: trusted}
	want(t, load(t, o, client(t)).Check(context.Background(), d), gate.Unverified, "transparency-log")
	o.IgnoreTlog = true
	want(t, load(t, o, client(t)).Check(context.Background(), d), gate.Verified, id)
}

// TestIndexPassesByItsImages: an index with no signature of its own (a
// merged index is new bytes) passes when every image it names passes,
// and names the image that does not otherwise.
func TestIndexPassesByItsImages(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t, regtest.WithReferrers())
	key := gatetest.NewKey(t)
	pub := key.Public(t, t.TempDir(), "k.pub")
	g := load(t, gate.Options{Keys: []string{pub}, IgnoreTlog: true}, client(t))
	idx := digest(t, reg.Host+"/multi/app@"+regtest.PushIndex(t, reg.Host+"/multi/app:build").String())
	m, err := remote.Index(idx)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := m.IndexManifest()
	for i, c := range im.Manifests {
		child := idx.Context().Digest(c.Digest.String())
		if i == 0 {
			gatetest.PushLegacy(t, child, key.Legacy(t, child))
			continue
		}
		gatetest.PushBundle(t, child, key.Bundle(t, gatetest.Statement(c.Digest, gatetest.CosignSign)), gatetest.CosignSign)
	}
	want(t, g.Check(context.Background(), idx), gate.Verified, "each of its 2 images")

	other := digest(t, reg.Host+"/multi/half@"+regtest.PushIndex(t, reg.Host+"/multi/half:build").String())
	m, _ = remote.Index(other)
	im, _ = m.IndexManifest()
	first := other.Context().Digest(im.Manifests[0].Digest.String())
	gatetest.PushLegacy(t, first, key.Legacy(t, first))
	want(t, g.Check(context.Background(), other), gate.None, "its image "+im.Manifests[1].Digest.String())
}

// TestNothingAttachedAndUnreadable: no signature is none; a fallback tag
// that answers 500 is unknown, never none.
func TestNothingAttachedAndUnreadable(t *testing.T) {
	t.Parallel()
	reg := regtest.InProcess(t)
	pub := filepath.Join(regtest.Cosign(""), "cosign.pub")
	g := load(t, gate.Options{Keys: []string{pub}, IgnoreTlog: true}, client(t))
	d := push(t, reg.Host, "bare/app")
	want(t, g.Check(context.Background(), d), gate.None, "no signature")

	fallback := "/manifests/" + strings.Replace(d.DigestStr(), ":", "-", 1)
	proxy := regtest.FaultProxy(t, reg.URL, regtest.FailPath(regtest.KindManifestGet, fallback, 500, `{"errors":[{"code":"UNKNOWN","message":"injected"}]}`),
		regtest.FailPath(regtest.KindManifestHead, fallback, 500, ""))
	through := digest(t, proxy.Ref("bare/app@"+d.DigestStr()))
	want(t, g.Check(context.Background(), through), gate.Unknown, "reading what is attached")
}

// TestBadGateInput: flags that cannot make a gate are bad input before
// any read; a key file that is not a key is bad input when loaded.
func TestBadGateInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		o    gate.Options
		want string
	}{
		{gate.Options{Identity: "x"}, "needs --certificate-oidc-issuer"},
		{gate.Options{Issuer: "x"}, "needs --certificate-identity"},
		{gate.Options{Identity: "x", IdentityRegexp: "y", Issuer: "i"}, "give one, not both"},
		{gate.Options{IdentityRegexp: "(", Issuer: "i"}, "not a regular expression"},
		{gate.Options{IdentityRegexp: `@acme\.com$`, Issuer: "i"}, "not anchored"},
		{gate.Options{Identity: "x", IssuerRegexp: "token.actions.githubusercontent.com"}, "not anchored"},
		{gate.Options{TrustedRoot: "tr.json"}, "the gate is off"},
		{gate.Options{IgnoreTlog: true}, "the gate is off"},
	} {
		errs := tc.o.Problems()
		if len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("%+v: problems %v, want one saying %q", tc.o, errs, tc.want)
		}
	}
	dir := t.TempDir()
	notKey := filepath.Join(dir, "not.pub")
	os.WriteFile(notKey, []byte("hello"), 0o644)
	notRoot := filepath.Join(dir, "root.json")
	os.WriteFile(notRoot, []byte("{}"), 0o644)
	for _, o := range []gate.Options{
		{Keys: []string{notKey}, IgnoreTlog: true},
		{Keys: []string{filepath.Join(dir, "missing.pub")}, IgnoreTlog: true},
		{Identity: "x", Issuer: "y", TrustedRoot: notRoot},
	} {
		err := gate.New(o, nil).Prepare(context.Background())
		if errkind.Of(err) != errkind.BadInput {
			t.Errorf("%+v: %v (exit %d), want bad input", o, err, errkind.ExitCode(err))
		}
	}
}
