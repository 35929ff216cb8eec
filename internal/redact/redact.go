// Package redact is the last line of defence between tagguard and a log:
// everything printed passes a Masker, which replaces every known encoding of
// every secret with *** and neutralises lines the Actions runner would read
// as workflow commands. Secrets are kept out of messages in the first place;
// this catches what a registry or GitHub echoes back.
package redact

import (
	"encoding/base64"
	"io"
	"regexp"
	"strings"
	"sync"
)

// minSecret is the shortest value masked: shorter ones would mangle
// ordinary text.
const minSecret = 4

// Masker replaces secrets in text. Secrets may be added while a run goes
// on (a bearer token obtained from a token service); it is safe for
// concurrent use.
type Masker struct {
	mu      sync.Mutex
	secrets map[string]bool
	r       *strings.Replacer
	// announce is told each new secret before it is masked anywhere, so
	// the runner can mask it too (::add-mask::).
	announce func(string)
}

// New returns a Masker for secrets; announce, when not nil, hears of every
// secret added, this first set included.
func New(announce func(string), secrets ...string) *Masker {
	m := &Masker{secrets: map[string]bool{}, announce: announce, r: strings.NewReplacer()}
	m.Add(secrets...)
	return m
}

// Add masks more secrets from now on.
func (m *Masker) Add(secrets ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	changed := false
	for _, s := range secrets {
		if len(s) < minSecret || m.secrets[s] {
			continue
		}
		m.secrets[s], changed = true, true
		if m.announce != nil {
			m.announce(s)
		}
	}
	if !changed {
		return
	}
	// Longest first, so a secret that contains another is masked whole.
	var all []string
	for s := range m.secrets {
		all = append(all, s)
	}
	sortLongestFirst(all)
	pairs := make([]string, 0, 2*len(all))
	for _, s := range all {
		pairs = append(pairs, s, "***")
	}
	m.r = strings.NewReplacer(pairs...)
}

// Replace returns s with every secret masked and every Authorization
// value from outside stripped.
func (m *Masker) Replace(s string) string {
	m.mu.Lock()
	r := m.r
	m.mu.Unlock()
	return StripAuthorization(r.Replace(s))
}

// Credential returns the secret with every encoding of user:secret a
// runner could see: HTTP Basic's base64, with and without padding, in the
// standard and the URL alphabet.
func Credential(user, secret string) []string {
	if secret == "" {
		return nil
	}
	out := []string{secret}
	if user != "" {
		pair := []byte(user + ":" + secret)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			out = append(out, enc.EncodeToString(pair))
		}
	}
	return out
}

func sortLongestFirst(ss []string) {
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && (len(ss[j]) > len(ss[j-1]) || (len(ss[j]) == len(ss[j-1]) && ss[j] < ss[j-1])); j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
}

// Writer returns w behind the masker: secrets become ***, and no line reads
// as a workflow command. Each Write is masked whole: callers write a report
// in one piece.
func (m *Masker) Writer(w io.Writer) io.Writer { return &safeWriter{w: w, m: m} }

type safeWriter struct {
	mu sync.Mutex
	w  io.Writer
	m  *Masker
}

func (s *safeWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.w, Neutralise(s.m.Replace(string(p)))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Neutralise makes sure no line of text reads as a workflow command. The
// runner trims leading space and then looks for "::", and the older syntax
// "##[": such lines get a "| " prefix and "##[" is broken up.
func Neutralise(text string) string {
	if !strings.Contains(text, "::") && !strings.Contains(text, "##[") {
		return text
	}
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		l = strings.ReplaceAll(l, "##[", "# #[")
		if strings.HasPrefix(strings.TrimLeft(l, " \t\r"), "::") {
			l = "| " + l
		}
		lines[i] = l
	}
	return strings.Join(lines, "")
}

// authValue finds an HTTP credential in text from outside: a Basic or
// Bearer scheme and the value after it (a registry error body or a token
// endpoint that echoes the request's Authorization header).
var authValue = regexp.MustCompile(`(?i)\b(basic|bearer|token)(\s+|%20)([A-Za-z0-9+/=._~%-]{8,})`)

// StripAuthorization replaces every credential value after Basic, Bearer
// or token in s with [redacted]. A word that is not credential-shaped
// (letters of one case only, as in "basic authentication") is left alone.
func StripAuthorization(s string) string {
	if !strings.ContainsAny(s, "bBtT") {
		return s
	}
	return authValue.ReplaceAllStringFunc(s, func(m string) string {
		sub := authValue.FindStringSubmatch(m)
		if !credentialShaped(sub[3]) {
			return m
		}
		return sub[1] + sub[2] + "[redacted]"
	})
}

// credentialShaped: a digit, a base64 or URL symbol, or mixed case.
func credentialShaped(v string) bool {
	var upper, lower bool
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9', strings.ContainsRune("+/=._~%-", r):
			return true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		}
	}
	return upper && lower
}
