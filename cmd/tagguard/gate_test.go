package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/tagguard/tagguard/internal/gate/gatetest"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/regtest"
)

// signed is a registry with three builds: one signed with the key, one
// signed with another key, one not signed at all, and one whose .sig is
// a real signature of the first, copied.
type signed struct {
	reg                                  *regtest.DistributionServer
	key, other                           gatetest.Key
	pub                                  string // the trusted key's file
	good, wrongKey, unsigned, transplant name.Digest
}

func newSigned(t *testing.T) signed {
	t.Helper()
	s := signed{reg: regtest.Distribution(t), key: gatetest.NewKey(t), other: gatetest.NewKey(t)}
	s.pub = s.key.Public(t, t.TempDir(), "release.pub")
	build := func(repo string) name.Digest {
		d, err := name.NewDigest(s.reg.Ref(repo + "@" + s.reg.Pusher().PushImage(t, s.reg.Ref(repo+":build")).String()))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	s.good, s.wrongKey, s.unsigned, s.transplant = build("ci/good"), build("ci/wrong"), build("ci/bare"), build("ci/transplant")
	gatetest.PushLegacy(t, s.good, s.key.Legacy(t, s.good))
	gatetest.PushLegacy(t, s.wrongKey, s.other.Legacy(t, s.wrongKey))
	gatetest.PushLegacy(t, s.transplant, s.key.Legacy(t, s.good))
	return s
}

// absent fails unless ref names no manifest.
func absent(t *testing.T, ref string) {
	t.Helper()
	_, err := remote.Head(mustRef(t, ref))
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.StatusCode != 404 {
		t.Errorf("%s: %v, want it absent: nothing may be written", ref, err)
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPromoteGate: promote with --signature-key publishes a source signed
// with that key, and refuses (exit 1, BLOCKED, no tag written) one with
// no signature, one signed with another key and one carrying another
// image's signature; the refusal names the digest and why.
func TestPromoteGate(t *testing.T) {
	s := newSigned(t)
	gateFlags := []string{"--signature-key", s.pub, "--insecure-ignore-tlog"}
	for _, tc := range []struct {
		name   string
		source name.Digest
		code   int
		says   string
	}{
		{"signed", s.good, 0, "verified by key release.pub"},
		{"unsigned", s.unsigned, 1, "no signature"},
		{"another key", s.wrongKey, 1, "not signed by release.pub"},
		{"transplanted", s.transplant, 1, "over " + s.good.DigestStr() + ", another digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := s.reg.Ref("org/" + strings.ReplaceAll(tc.name, " ", "-") + ":1.0.0")
			code, out, errOut := runCLI(t, append([]string{"promote", "--sources", tc.source.String(), "--images", target}, gateFlags...)...)
			if code != tc.code || !strings.Contains(out, tc.says) {
				t.Fatalf("exit %d, want %d saying %q\n%s\n%s", code, tc.code, tc.says, out, errOut)
			}
			if tc.code != 0 {
				if !strings.Contains(out, "BLOCKED by the signature gate") || !strings.Contains(out, tc.source.DigestStr()) {
					t.Errorf("the refusal does not name the gate and the digest:\n%s", out)
				}
				// Said where an error is said, with the fix, as restore says it.
				if !strings.Contains(errOut, "tagguard promote: the signature gate refused ") || !strings.Contains(errOut, "or name the key (--signature-key)") {
					t.Errorf("stderr does not carry the gate's refusal and its fix:\n%s", errOut)
				}
				absent(t, target)
			}
		})
	}
}

// TestCheckGate: check --digest verifies the build's digest in every
// repository of --images; a signature gate with no --digest is bad input.
func TestCheckGate(t *testing.T) {
	s := newSigned(t)
	gateFlags := []string{"--signature-key", s.pub, "--insecure-ignore-tlog"}
	code, out, _ := runCLI(t, append([]string{"check", "--images", s.reg.Ref("ci/good:1.0.0"), "--digest", s.good.DigestStr()}, gateFlags...)...)
	if code != 0 || !strings.Contains(out, "verified by key release.pub") {
		t.Errorf("a signed digest: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, append([]string{"check", "--images", s.reg.Ref("ci/bare:1.0.0"), "--digest", s.unsigned.DigestStr()}, gateFlags...)...)
	if code != 1 || !strings.Contains(out, "signature") || !strings.Contains(out, "no signature") {
		t.Errorf("an unsigned digest: exit %d, want 1\n%s", code, out)
	}
	code, _, errOut := runCLI(t, append([]string{"check", "--images", s.reg.Ref("ci/good:1.0.0")}, gateFlags...)...)
	if code != 2 || !strings.Contains(errOut, "--digest") {
		t.Errorf("the gate with no --digest: exit %d, want 2\n%s", code, errOut)
	}
}

// TestRestoreGate: restore verifies every target digest before the first
// write: a tag pinned at an unsigned digest is not moved.
func TestRestoreGate(t *testing.T) {
	s := newSigned(t)
	gateFlags := []string{"--signature-key", s.pub, "--insecure-ignore-tlog"}
	code, out, errOut := runCLI(t, append([]string{"restore", "--pin", s.reg.Ref("ci/bare:1.0.0@"+s.unsigned.DigestStr()) + "," + s.reg.Ref("ci/good:1.0.0@"+s.good.DigestStr())}, gateFlags...)...)
	if code != 1 || !strings.Contains(out, "BLOCKED by the signature gate") {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	absent(t, s.reg.Ref("ci/bare:1.0.0"))
	absent(t, s.reg.Ref("ci/good:1.0.0"))
	code, out, errOut = runCLI(t, append([]string{"restore", "--pin", s.reg.Ref("ci/good:1.0.0@" + s.good.DigestStr())}, gateFlags...)...)
	if code != 0 || !strings.Contains(out, "signature: verified") {
		t.Fatalf("a signed target: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestAuditGate: a recorded digest whose signature is replaced by another
// key's (the .sig tag overwritten) audits unverified, exit 1.
func TestAuditGate(t *testing.T) {
	s := newSigned(t)
	gateFlags := []string{"--signature-key", s.pub, "--insecure-ignore-tlog"}
	ledgerFile := filepath.Join(t.TempDir(), "ledger.json")
	regtest.Tag(t, s.good.String(), s.reg.Ref("ci/good:1.0.0"))
	if code, out, errOut := runCLI(t, "record", "--images", s.reg.Ref("ci/good:1.0.0"), "--ledger-file", ledgerFile); code != 0 {
		t.Fatalf("record: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, append([]string{"audit", "--from-ledger", ledgerFile}, gateFlags...)...)
	if code != 0 {
		t.Fatalf("audit of a signed digest: exit %d\n%s\n%s", code, out, errOut)
	}
	gatetest.PushLegacy(t, s.good, s.other.Legacy(t, s.good))
	code, out, errOut = runCLI(t, append([]string{"audit", "--from-ledger", ledgerFile}, gateFlags...)...)
	if code != 1 || !strings.Contains(out, "UNVERIFIED") || !strings.Contains(out, "not signed by release.pub") {
		t.Fatalf("audit after the signature was replaced: exit %d, want 1 and unverified\n%s\n%s", code, out, errOut)
	}
}

// TestPinGate: pin --verify checks the signature of every pin at the
// ledger's digest; pin writing refuses a list that pins an unsigned
// digest, and writes nothing.
func TestPinGate(t *testing.T) {
	s := newSigned(t)
	gateFlags := []string{"--signature-key", s.pub, "--insecure-ignore-tlog"}
	dir := t.TempDir()
	ledgerFile := filepath.Join(dir, "ledger.json")
	regtest.Tag(t, s.good.String(), s.reg.Ref("ci/good:1.0.0"))
	regtest.Tag(t, s.unsigned.String(), s.reg.Ref("ci/bare:1.0.0"))
	if code, out, errOut := runCLI(t, "record", "--images", s.reg.Ref("ci/good:1.0.0")+","+s.reg.Ref("ci/bare:1.0.0"), "--ledger-file", ledgerFile); code != 0 {
		t.Fatalf("record: exit %d\n%s\n%s", code, out, errOut)
	}
	compose := filepath.Join(dir, "compose.yml")
	os.WriteFile(compose, []byte("services:\n  good:\n    image: "+s.reg.Ref("ci/good:1.0.0@"+s.good.DigestStr())+"\n  bare:\n    image: "+s.reg.Ref("ci/bare:1.0.0@"+s.unsigned.DigestStr())+"\n"), 0o644)
	code, out, errOut := runCLI(t, append([]string{"pin", "--verify", "--from-ledger", ledgerFile, "--compose", compose}, gateFlags...)...)
	if code != 1 || !strings.Contains(out, "UNVERIFIED") || !strings.Contains(out, "1 not verified by the signature gate") {
		t.Fatalf("pin --verify: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	out2 := filepath.Join(dir, "lock.txt")
	code, out, errOut = runCLI(t, append([]string{"pin", "--from-ledger", ledgerFile, "--format", "list", "--output", out2}, gateFlags...)...)
	if code != 1 || !strings.Contains(out+errOut, "signature gate") {
		t.Fatalf("pin a list with an unsigned digest: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Errorf("%s was written: nothing may be", out2)
	}
	// A kustomize list pins one digest a repository, the highest
	// version's: an older latest at an unsigned digest is not in it, and
	// does not block it.
	older := s.reg.Pusher().PushImage(t, s.reg.Ref("ci/good:latest"))
	kl := filepath.Join(dir, "k.json")
	writeLedgerFile(t, kl, s.reg.Ref("ci/good:1.0.0"), s.good.DigestStr(), s.reg.Ref("ci/good:latest"), older.String())
	code, out, errOut = runCLI(t, append([]string{"pin", "--from-ledger", kl, "--format", "kustomize"}, gateFlags...)...)
	if code != 0 || !strings.Contains(out, s.good.DigestStr()) || strings.Contains(out, older.String()) {
		t.Fatalf("pin --format kustomize: exit %d, want 0 pinning the signed 1.0.0 alone\n%s\n%s", code, out, errOut)
	}
}

// writeLedgerFile writes a ledger of ref, digest pairs.
func writeLedgerFile(t *testing.T, path string, pairs ...string) {
	t.Helper()
	l := &ledger.Ledger{Schema: ledger.Schema, Created: time.Now().UTC().Truncate(time.Second)}
	for i := 0; i+1 < len(pairs); i += 2 {
		l.Images = append(l.Images, ledger.Image{Ref: pairs[i], Digest: pairs[i+1]})
	}
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestKeylessGateEndToEnd: promote gated on a workflow identity passes
// the build that identity signed (a bundle as cosign v3 attaches it) and
// refuses one another workflow signed.
func TestKeylessGateEndToEnd(t *testing.T) {
	reg := regtest.InProcess(t, regtest.WithReferrers())
	ss := gatetest.NewSigstore(t)
	trusted := ss.TrustedRoot(t, t.TempDir())
	release := gatetest.Identity("acme/app", "release.yml", "refs/heads/main")
	for _, tc := range []struct {
		signer string
		code   int
	}{{release, 0}, {gatetest.Identity("acme/app", "pr.yml", "refs/pull/7/merge"), 1}} {
		repo := "ci/" + strings.TrimSuffix(filepath.Base(strings.Split(tc.signer, "@")[0]), ".yml")
		h := regtest.PushImage(t, reg.Ref(repo+":build"))
		d, _ := name.NewDigest(reg.Ref(repo + "@" + h.String()))
		gatetest.PushBundle(t, d, ss.Bundle(t, tc.signer, gatetest.Statement(v1.Hash(h), gatetest.CosignSign)), gatetest.CosignSign)
		code, out, errOut := runCLI(t, "promote", "--sources", d.String(), "--images", reg.Ref("org/app:"+strings.TrimPrefix(repo, "ci/")),
			"--certificate-identity", release, "--certificate-oidc-issuer", gatetest.Issuer, "--trusted-root", trusted)
		if code != tc.code {
			t.Errorf("signed by %s: exit %d, want %d\n%s\n%s", tc.signer, code, tc.code, out, errOut)
		}
	}
}
