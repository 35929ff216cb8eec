package gate

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/fanout"
	"github.com/tagguard/tagguard/internal/files"
)

// Gate checks digests against its Options, reading from one registry
// client; New makes one per run.
type Gate struct {
	opts     Options
	reg      Registry
	loaded   fanout.Memo[struct{}, struct{}]
	keys     []trustedKey
	keyless  *verify.Verifier // nil without an identity
	identity verify.CertificateIdentity
	trusted  root.TrustedMaterial // the trusted root, nil when none is needed
	verdicts fanout.Memo[string, Verdict]
}

// trustedKey is one --signature-key and the verifier that trusts it alone.
type trustedKey struct {
	name     string // the file's base name, as reports show it
	verifier *verify.Verifier
	// offline verifies the signature alone, no log (nil with
	// --insecure-ignore-tlog, where verifier does): only to tell a
	// signature by this key whose log entry is missing from one by
	// another key, for the report.
	offline *verify.Verifier
}

// maxKeyFile bounds a --signature-key file: a PEM public key is under a
// kilobyte; 64 KiB leaves room for comments and RSA-4096.
const maxKeyFile = 64 << 10

// New is the gate of o, reading from reg; nil when o turns no gate on.
// Nothing is read until Prepare (or the first Check).
func New(o Options, reg Registry) *Gate {
	if !o.On() {
		return nil
	}
	return &Gate{opts: o, reg: reg, loaded: fanout.Memo[struct{}, struct{}]{KeepFailures: true}}
}

// Options are the options g was made from (none for a nil Gate).
func (g *Gate) Options() Options {
	if g == nil {
		return Options{}
	}
	return g.opts
}

// Prepare reads the key files and the trusted root, once; a command calls
// it before its first request, so a key file that is not a key is bad
// input before anything is read or written.
func (g *Gate) Prepare(ctx context.Context) error {
	if g == nil {
		return nil
	}
	_, _, err := g.loaded.Do(ctx, struct{}{}, func() (struct{}, error) { return struct{}{}, g.load(ctx, files.Read) })
	return err
}

// load reads the key files and the trusted root (bounded, within ctx). A
// file that is not a PEM public key, or a trusted root that does not
// parse, is bad input (exit 2). With no --trusted-root where one is needed
// (an identity, or a key whose log entry must verify), the public-good
// instance's trusted root is fetched through sigstore-go's TUF client and
// cached (in ~/.sigstore): that is a failure to read (exit 3) when it
// cannot be reached.
func (g *Gate) load(ctx context.Context, read func(ctx context.Context, path string, max int64) ([]byte, error)) error {
	o := g.opts
	// The key files first: a file that is not a key is bad input before
	// the trusted root is fetched.
	pubs := make([]crypto.PublicKey, len(o.Keys))
	for i, path := range o.Keys {
		b, err := read(ctx, path, maxKeyFile)
		if err != nil {
			return errkind.BadInputf("--signature-key: %v", err)
		}
		if pubs[i], err = cryptoutils.UnmarshalPEMToPublicKey(b); err != nil {
			return errkind.BadInputf("--signature-key %s: not a PEM public key (cosign.pub's format): %v", path, err)
		}
	}
	var trusted root.TrustedMaterial
	if o.TrustedRoot != "" {
		b, err := read(ctx, o.TrustedRoot, files.MaxSize)
		if err != nil {
			return errkind.BadInputf("--trusted-root: %v", err)
		}
		tr, err := root.NewTrustedRootFromJSON(b)
		if err != nil {
			return errkind.BadInputf("--trusted-root %s: not a Sigstore trusted root: %v", o.TrustedRoot, err)
		}
		trusted = tr
	} else if o.keyless() || !o.IgnoreTlog {
		tr, err := fetchPublicGood(ctx)
		if err != nil {
			return errkind.Remotef("reading the Sigstore public-good trusted root (TUF): %v; give --trusted-root FILE to verify offline", err)
		}
		trusted = tr
	}
	for i, path := range o.Keys {
		pub := pubs[i]
		sv, err := signature.LoadDefaultVerifier(pub)
		if err != nil {
			return errkind.BadInputf("--signature-key %s: %v", path, err)
		}
		key := root.NewExpiringKey(sv, time.Time{}, time.Time{})
		material := root.TrustedMaterialCollection{root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })}
		offline, err := verify.NewVerifier(material, verify.WithNoObserverTimestamps())
		if err != nil {
			return errkind.BadInputf("--signature-key %s: %v", path, err)
		}
		v := offline
		if !o.IgnoreTlog {
			if v, err = verify.NewVerifier(append(material, trusted), verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)); err != nil {
				return errkind.BadInputf("--signature-key %s: %v", path, err)
			}
		} else {
			offline = nil
		}
		der, _ := cryptoutils.MarshalPublicKeyToDER(pub)
		sum := sha256.Sum256(der)
		g.keys = append(g.keys, trustedKey{name: filepath.Base(path) + " (" + hex.EncodeToString(sum[:])[:12] + ")", verifier: v, offline: offline})
	}
	g.trusted = trusted
	if o.keyless() {
		id, err := verify.NewShortCertificateIdentity(o.Issuer, o.IssuerRegexp, o.Identity, o.IdentityRegexp)
		if err != nil {
			return errkind.BadInputf("the certificate identity: %v", err)
		}
		g.identity = id
		// A Fulcio certificate lives ten minutes: it is checked at the time
		// the log (or a timestamp authority) saw the signature. Its
		// certificate-transparency proof is required, as cosign does, where
		// the trusted root names a CT log (the public-good one does; a
		// private instance may have none).
		opts := []verify.VerifierOption{verify.WithObserverTimestamps(1)}
		if len(trusted.CTLogs()) > 0 {
			opts = append(opts, verify.WithSignedCertificateTimestamps(1))
		}
		if !o.IgnoreTlog {
			opts = append(opts, verify.WithTransparencyLog(1))
		}
		v, err := verify.NewVerifier(trusted, opts...)
		if err != nil {
			return errkind.BadInputf("--trusted-root: %v", err)
		}
		g.keyless = v
	}
	return nil
}

// fetchPublicGood reads the public-good trusted root through TUF, within ctx.
func fetchPublicGood(ctx context.Context) (*root.TrustedRoot, error) {
	var tr *root.TrustedRoot
	err := files.Within(ctx, func() (err error) {
		tr, err = root.FetchTrustedRoot()
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case tr == nil:
		return nil, errors.New("no trusted root")
	}
	return tr, nil
}
