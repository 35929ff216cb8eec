package redact

import (
	"regexp"
	"strings"
)

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
