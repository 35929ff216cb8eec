// Package gate is the signature gate: whether a digest carries a signature
// tagguard can verify, by a key or an identity the user trusts. It reads
// what is attached to the digest (cosign's legacy .sig tag, Sigstore
// bundles stored as OCI 1.1 referrers) and hands every candidate to
// sigstore-go; it writes no cryptography of its own. One rule, written
// once: a digest passes if a signature over it verifies, or, for an index,
// if every image it names passes.
package gate

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// Options are the gate's flags, named as cosign names them.
type Options struct {
	Keys           []string // --signature-key: PEM public key files
	Identity       string   // --certificate-identity
	IdentityRegexp string   // --certificate-identity-regexp
	Issuer         string   // --certificate-oidc-issuer
	IssuerRegexp   string   // --certificate-oidc-issuer-regexp
	TrustedRoot    string   // --trusted-root: a Sigstore trusted_root.json
	IgnoreTlog     bool     // --insecure-ignore-tlog
}

// On reports whether the gate is on: a key or a keyless identity given.
func (o Options) On() bool { return len(o.Keys) > 0 || o.keyless() }

func (o Options) keyless() bool {
	return o.Identity+o.IdentityRegexp+o.Issuer+o.IssuerRegexp != ""
}

// Problems are what is wrong with o, with no I/O: each is bad input
// (exit 2).
func (o Options) Problems() []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	for _, k := range o.Keys {
		if strings.TrimSpace(k) == "" {
			bad("--signature-key: an empty file name")
		}
	}
	if o.Identity != "" && o.IdentityRegexp != "" {
		bad("--certificate-identity and --certificate-identity-regexp: give one, not both")
	}
	if o.Issuer != "" && o.IssuerRegexp != "" {
		bad("--certificate-oidc-issuer and --certificate-oidc-issuer-regexp: give one, not both")
	}
	if o.keyless() {
		if o.Identity+o.IdentityRegexp == "" {
			bad("--certificate-oidc-issuer needs --certificate-identity or --certificate-identity-regexp: an issuer alone would trust anyone it issued a certificate to")
		}
		if o.Issuer+o.IssuerRegexp == "" {
			bad("--certificate-identity needs --certificate-oidc-issuer or --certificate-oidc-issuer-regexp: an identity means nothing without the issuer that vouches for it")
		}
	}
	for _, re := range []struct{ flag, expr string }{{"--certificate-identity-regexp", o.IdentityRegexp}, {"--certificate-oidc-issuer-regexp", o.IssuerRegexp}} {
		if re.expr == "" {
			continue
		}
		if _, err := regexp.Compile(re.expr); err != nil {
			bad("%s %q: not a regular expression: %v", re.flag, re.expr, err)
		} else if !strings.HasPrefix(re.expr, "^") {
			// sigstore-go, as cosign, matches anywhere in the value: an
			// unanchored @acme\.com passes eve@acme.com.evil.example.
			bad("%s %q: not anchored: it would match anywhere in the value (@acme\\.com matches eve@acme.com.evil.example); start it with ^ (and end it with $ to match the whole value)", re.flag, re.expr)
		}
	}
	if !o.On() {
		if o.TrustedRoot != "" {
			bad("--trusted-root has no effect without --signature-key or --certificate-identity: the gate is off")
		}
		if o.IgnoreTlog {
			bad("--insecure-ignore-tlog has no effect without --signature-key or --certificate-identity: the gate is off")
		}
	}
	return errs
}

// Wants says what the gate asks of a signature, for a plan's headline:
// "signed by cosign.pub", "signed by https://github.com/o/r/... (issuer
// https://token.actions.githubusercontent.com)".
func (o Options) Wants() string {
	var by []string
	for _, k := range o.Keys {
		by = append(by, filepath.Base(k))
	}
	if o.keyless() {
		id := o.Identity
		if id == "" {
			id = "/" + o.IdentityRegexp + "/"
		}
		iss := o.Issuer
		if iss == "" {
			iss = "/" + o.IssuerRegexp + "/"
		}
		by = append(by, id+" (issuer "+iss+")")
	}
	s := "signed by " + strings.Join(by, " or ")
	if o.IgnoreTlog {
		s += ", no log entry required"
	}
	return s
}
