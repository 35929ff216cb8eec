package gate

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/verify"
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
		who := identityOf(cert)
		if g.keyless == nil {
			return "", fmt.Errorf("a keyless signature by %s; no --certificate-identity was given to trust one", who)
		}
		if _, err := g.keyless.Verify(e, verify.NewPolicy(artifact(), verify.WithCertificateIdentity(g.identity))); err != nil {
			return "", explain(err, "signed by "+who+", not the identity asked for")
		}
		return who, nil
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
		last = err
	}
	names := make([]string, len(g.keys))
	for i, k := range g.keys {
		names[i] = k.name
	}
	return "", explain(last, "not signed by "+strings.Join(names, " or "))
}

// explain turns sigstore-go's error into the reason a release engineer
// acts on: the log entry is missing, the subject is another digest, or
// the signature is someone else's (mismatch says whose).
func explain(err error, mismatch string) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "log inclusion") || strings.Contains(msg, "transparency log") || strings.Contains(msg, "verified log entries") || strings.Contains(msg, "tlog"):
		return fmt.Errorf("no transparency-log entry verifies (a signature made without one passes only with --insecure-ignore-tlog): %v", err)
	case strings.Contains(msg, "timestamp"):
		return fmt.Errorf("no verified time for the signature (a log entry or a timestamp): %v", err)
	case strings.Contains(msg, "artifact digest") || strings.Contains(msg, "subject"):
		return fmt.Errorf("the signature is over another digest: %v", err)
	case strings.Contains(msg, "certificate identity"):
		return errors.New(mismatch)
	case strings.Contains(msg, "leaf certificate"):
		return fmt.Errorf("the certificate does not chain to the trusted root: %v", err)
	case strings.Contains(msg, "verify signature"):
		return errors.New(mismatch)
	}
	return err
}

// identityOf is a Fulcio certificate's identity as reports show it:
// "SAN (issuer ISSUER)".
func identityOf(cert *x509.Certificate) string {
	s, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return "an unreadable certificate"
	}
	return s.SubjectAlternativeName + " (issuer " + s.Extensions.Issuer + ")"
}
