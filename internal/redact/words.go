package redact

import (
	"regexp"
	"slices"
	"strings"
)

// AddWord masks a short secret only where it stands as a whole token: not
// inside a longer run of the characters tokens are made of. It is for a
// token service's short token, which must be masked without letting a
// hostile service blank a common word inside other text. It is not
// announced to the runner, which would mask it everywhere.
func (m *Masker) AddWord(secret string) {
	if secret == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, form := range urlForms(secret) { // as it is, percent-, form- and JSON-encoded
		if !slices.Contains(m.words, form) {
			m.words = append(m.words, form)
		}
	}
	sortLongestFirst(m.words)
}

// tokenByte: a character a token can hold (base64 of both alphabets, JWT
// dots, the RFC 6750 token68 symbols).
func tokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/=", c) >= 0
}

// maskWords replaces each whole occurrence of each word in s.
func maskWords(s string, words []string) string {
	for _, w := range words {
		var b strings.Builder
		from := 0 // s[:from] is in b already
		for at := 0; ; {
			i := strings.Index(s[at:], w)
			if i < 0 {
				break
			}
			start, end := at+i, at+i+len(w)
			if (start == 0 || !tokenByte(s[start-1])) && (end == len(s) || !tokenByte(s[end])) {
				b.WriteString(s[from:start])
				b.WriteString("***")
				from = end
			}
			at = start + 1
		}
		if from > 0 {
			b.WriteString(s[from:])
			s = b.String()
		}
	}
	return s
}

// urlQuery finds the query of a URL in text: an absolute http(s) URL, or a
// registry API path (a Location header quoted in an error).
var urlQuery = regexp.MustCompile(`((?:https?://|/v2/)[^\s"'<>?]*)\?[^\s"'<>]*`)

// StripQueries drops the query of every URL in s. A query is where a
// registry keeps an upload session's state (_state) and a storage backend
// its presigned signature (X-Amz-Signature, X-Amz-Credential): both are
// credentials of a kind, and a query never helps a reader.
func StripQueries(s string) string {
	if !strings.Contains(s, "?") {
		return s
	}
	return urlQuery.ReplaceAllString(s, "$1")
}
