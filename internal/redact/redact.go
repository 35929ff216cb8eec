// Package redact is the last line of defence between tagguard and a log:
// everything printed passes a Masker, which replaces every known encoding of
// every secret with *** and neutralises lines the Actions runner would read
// as workflow commands. Secrets are kept out of messages in the first place;
// this catches what a registry or GitHub echoes back.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode"
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
	// plain are the secrets as they are, for recognising a base64 run
	// that decodes to one (user:secret with other wrapping or padding).
	plain [][]byte
	r     *strings.Replacer
	// words are secrets masked only where they stand whole, between
	// characters no token holds (AddWord).
	words []string
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

// Add masks more secrets from now on, each as it is and in its percent-
// and form-encoded forms (a secret echoed in a URL or a query string).
func (m *Masker) Add(secrets ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	changed := false
	for _, plain := range secrets {
		if len(plain) < minSecret || m.secrets[plain] {
			continue
		}
		m.plain = append(m.plain, []byte(plain))
		for _, s := range urlForms(plain) {
			if m.secrets[s] {
				continue
			}
			m.secrets[s], changed = true, true
			if m.announce != nil {
				m.announce(s)
			}
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

// AddCredential masks a credential tagguard may send: the secret and
// user:secret, in every encoding of Credential. It is how a credential is
// registered the moment it is resolved, whatever its source.
func (m *Masker) AddCredential(user, secret string) { m.Add(Credential(user, secret)...) }

// Replace returns s with every secret masked, every base64 run that
// decodes to text holding a secret masked, and every Authorization value
// from outside stripped.
func (m *Masker) Replace(s string) string {
	m.mu.Lock()
	r, plain, words := m.r, m.plain, m.words
	m.mu.Unlock()
	return StripQueries(StripAuthorization(stripBase64(maskWords(r.Replace(s), words), plain)))
}

// Credential returns the secret and user:secret with every encoding a
// runner could see: HTTP Basic's base64 of user:secret, with and without
// padding, in the standard and the URL alphabet; Add adds the percent- and
// form-encoded forms of each.
func Credential(user, secret string) []string {
	if secret == "" {
		return nil
	}
	out := []string{secret}
	if user != "" {
		pair := []byte(user + ":" + secret)
		out = append(out, string(pair))
		for _, enc := range encodings {
			out = append(out, enc.EncodeToString(pair))
		}
	}
	return out
}

var encodings = []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding}

// urlForms is s as it is, percent-encoded (a path or user info) and
// form-encoded (a query or a form body), with upper- and lower-case hex,
// and JSON-escaped as encoders write it (an error body that quotes what it
// was sent).
func urlForms(s string) []string {
	out := []string{s}
	for _, e := range []string{url.QueryEscape(s), url.PathEscape(s)} {
		out = append(out, e, lowerHex(e))
		if strings.Contains(e, "+") { // a form's space, also sent as %20
			out = append(out, strings.ReplaceAll(e, "+", "%20"))
		}
	}
	return append(out, jsonForms(s)...)
}

// jsonForms is s as JSON encoders escape it: Go's (\u003c for <, >, &),
// others' \/ for /, and every punctuation character as \u00XX.
func jsonForms(s string) []string {
	b, _ := json.Marshal(s)
	q := string(b[1 : len(b)-1])
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	q2 := strings.TrimSuffix(strings.TrimSpace(raw.String()), `"`)[1:]
	var all strings.Builder
	for _, r := range s {
		if r < 0x80 && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			fmt.Fprintf(&all, "\\u%04x", r)
		} else {
			all.WriteRune(r)
		}
	}
	return []string{q, q2, strings.ReplaceAll(q, "/", `\/`), strings.ReplaceAll(q2, "/", `\/`), all.String(), upperU(all.String())}
}

// upperU writes the hex of \u escapes in upper case.
func upperU(s string) string {
	b := []byte(s)
	for i := 0; i+5 < len(b); i++ {
		if b[i] == '\\' && b[i+1] == 'u' {
			for j := i + 2; j < i+6; j++ {
				if b[j] >= 'a' && b[j] <= 'f' {
					b[j] -= 'a' - 'A'
				}
			}
			i += 5
		}
	}
	return string(b)
}

// lowerHex writes the hex digits of every %XX escape in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lower(b[i+1]), lower(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// base64Run is a run of base64 text long enough to hold a credential.
var base64Run = regexp.MustCompile(`[A-Za-z0-9+/_-]{8,}={0,2}`)

// stripBase64 masks every base64 run that decodes (in either alphabet,
// padded or not) to bytes holding a known secret: user:secret however it
// was wrapped, not only the forms Credential lists.
func stripBase64(s string, plain [][]byte) string {
	if len(plain) == 0 {
		return s
	}
	return base64Run.ReplaceAllStringFunc(s, func(run string) string {
		trimmed := strings.TrimRight(run, "=")
		// The encoding may start anywhere in the run (after a URL path,
		// an id_ prefix): every alignment, and after each separator.
		var starts []int
		for k := 0; k < 4 && k < len(trimmed); k++ {
			starts = append(starts, k)
		}
		for i := 1; i < len(trimmed) && len(starts) < 32; i++ {
			if strings.ContainsRune("/_-+", rune(trimmed[i-1])) {
				starts = append(starts, i, i+1, i+2, i+3)
			}
		}
		for _, k := range starts {
			if k >= len(trimmed) {
				continue
			}
			for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
				// A run that is not whole quanta still decodes up to
				// where it breaks: that is enough to find a secret.
				dec, _ := enc.DecodeString(trimmed[k:])
				for _, p := range plain {
					if bytes.Contains(dec, p) {
						return "***"
					}
				}
			}
		}
		return run
	})
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
