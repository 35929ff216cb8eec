package gate

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/tagguard/tagguard/internal/report"
)

// verifyEntity hands e to sigstore-go with each trusted key, or with the
// identity when e carries a certificate. artifact makes the artifact
// policy afresh for each attempt (a reader is read once). by names the
// key or identity that verified e.
func (g *Gate) verifyEntity(e verify.SignedEntity, artifact func() verify.ArtifactPolicyOption) (by string, err error) {
	vc, err := e.VerificationContent()
	if err != nil {
		return "", err
	}
	if cert := vc.Certificate(); cert != nil {
		if g.keyless == nil {
			return "", fmt.Errorf("a keyless signature (its certificate, not checked, names %s); no --certificate-identity was given to trust one", identityOf(cert))
		}
		if _, err := g.keyless.Verify(e, verify.NewPolicy(artifact(), verify.WithCertificateIdentity(g.identity))); err != nil {
			return "", g.explainKeyless(err, cert)
		}
		return identityOf(cert), nil
	}
	if len(g.keys) == 0 {
		return "", errors.New("signed with a key; no --signature-key was given to trust one")
	}
	var last error
	for _, k := range g.keys {
		_, err := k.verifier.Verify(e, verify.NewPolicy(artifact(), verify.WithKey()))
		if err == nil {
			return "key " + k.name, nil
		}
		if k.offline != nil && isLog(err) {
			// sigstore-go checks the log before the key: whether the
			// signature is this key's at all decides what to say.
			if _, derr := k.offline.Verify(e, verify.NewPolicy(artifact(), verify.WithKey())); derr == nil {
				return "", fmt.Errorf("signed by key %s, but no transparency-log entry for it verifies (one made without a log passes only with --insecure-ignore-tlog): %s", k.name, clean(err))
			} else {
				err = derr
			}
		}
		last = err
	}
	names := make([]string, len(g.keys))
	for i, k := range g.keys {
		names[i] = k.name
	}
	if strings.Contains(last.Error(), "artifact digest") || strings.Contains(last.Error(), "subject") {
		return "", fmt.Errorf("the signature is over another digest: %s", clean(last))
	}
	return "", errors.New("not signed by " + strings.Join(names, " or "))
}

// explainKeyless says why a keyless signature failed, in the order a
// person acts on: a certificate from no trusted Fulcio (anyone can make
// one naming any identity: what it names is not repeated as fact), an
// identity other than the one asked for, then the log or the time.
func (g *Gate) explainKeyless(err error, cert *x509.Certificate) error {
	msg := err.Error()
	chained := !strings.Contains(msg, "leaf certificate")
	if chained && (isLog(err) || strings.Contains(msg, "timestamp")) {
		// The log and the time are checked before the chain: check it.
		_, cerr := verify.VerifyLeafCertificate(cert.NotBefore, cert, g.trusted)
		chained = cerr == nil
	}
	switch {
	case !chained:
		return fmt.Errorf("its certificate does not chain to the trusted root's Fulcio (a certificate anyone could make; it names %s)", identityOf(cert))
	case strings.Contains(msg, "certificate identity"):
		return fmt.Errorf("signed by %s, not the identity asked for", identityOf(cert))
	}
	if s, serr := certificate.SummarizeCertificate(cert); serr == nil && g.identity.Verify(s) != nil {
		return fmt.Errorf("signed by %s, not the identity asked for", identityOf(cert))
	}
	switch {
	case isLog(err):
		return fmt.Errorf("signed by %s, but no transparency-log entry for it verifies: %s", identityOf(cert), clean(err))
	case strings.Contains(msg, "timestamp"):
		return fmt.Errorf("no verified time for the signature (a log entry or a timestamp authority's): %s", clean(err))
	case strings.Contains(msg, "artifact digest") || strings.Contains(msg, "subject"):
		return fmt.Errorf("the signature is over another digest: %s", clean(err))
	}
	return fmt.Errorf("the signature does not verify with its certificate: %s", clean(err))
}

// isLog reports a failure of the transparency-log check.
func isLog(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "log inclusion") || strings.Contains(msg, "verified log entries") || strings.Contains(msg, "transparency log")
}

// clean is sigstore-go's error as one line, without its printf debris.
func clean(err error) string {
	return report.Clip(strings.ReplaceAll(err.Error(), "%!w(<nil>)", ""), 300)
}

// identityOf is a Fulcio certificate's identity as reports show it:
// "SAN (issuer ISSUER)", each one line and bounded (a certificate is
// anyone's to write until it is verified).
func identityOf(cert *x509.Certificate) string {
	s, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return "an unreadable certificate"
	}
	return report.Clip(s.SubjectAlternativeName, 200) + " (issuer " + report.Clip(s.Extensions.Issuer, 200) + ")"
}
