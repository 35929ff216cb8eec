package redact

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

func TestSafeWriter(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := New(nil, "hunter22", "abc").Writer(&b)
	fmt.Fprint(w, "registry said: denied for hunter22\n  ::set-output name=blocked::false\n::add-mask::x\nok :: fine\n##[error]boom\nabc stays\n")
	want := "registry said: denied for ***\n|   ::set-output name=blocked::false\n| ::add-mask::x\nok :: fine\n# #[error]boom\nabc stays\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

// TestEveryEncodingOfACredentialIsMasked is issue 8 item 2: a token
// endpoint that echoes the request's Authorization header put
// Basic base64(user:secret) into the logs.
func TestEveryEncodingOfACredentialIsMasked(t *testing.T) {
	t.Parallel()
	var announced []string
	m := New(func(s string) { announced = append(announced, s) }, Credential("robot", "s3cr3t-pass?>")...)
	pair := []byte("robot:s3cr3t-pass?>")
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		echoed := "400 Bad Request: Authorization: Basic " + enc.EncodeToString(pair) + " was refused"
		if got := m.Replace(echoed); strings.Contains(got, enc.EncodeToString(pair)) || !strings.Contains(got, "Basic ***") {
			t.Errorf("not masked: %q", got)
		}
	}
	if got := m.Replace("password s3cr3t-pass?> leaked"); got != "password *** leaked" {
		t.Errorf("plain secret: %q", got)
	}
	m.Add("eyJhbGciOiJFUzI1NiJ9.bearer-token-from-a-token-service")
	if got := m.Replace("Bearer eyJhbGciOiJFUzI1NiJ9.bearer-token-from-a-token-service"); got != "Bearer ***" {
		t.Errorf("token added later: %q", got)
	}
	if len(announced) != 6 {
		t.Errorf("announced %d secrets, want 6 (the secret, 4 encodings, the token): %q", len(announced), announced)
	}
	if got := m.Replace("ab x"); got != "ab x" {
		t.Errorf("short text mangled: %q", got)
	}
}

// TestStripAuthorization: an Authorization value echoed by a server is
// stripped from any text from outside, whatever the secret; ordinary words
// stay.
func TestStripAuthorization(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`400: {"errors":[{"detail":"Authorization: Basic dXNlcjpodW50ZXIy"}]}`: `400: {"errors":[{"detail":"Authorization: Basic [redacted]"}]}`,
		"header Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.payload.sig":        "header Authorization: Bearer [redacted]",
		"Authorization=[token ghs_abcdefgh12345678]":                           "Authorization=[token [redacted]]",
		"basic authentication failed for this bearer token":                    "basic authentication failed for this bearer token",
	} {
		if got := StripAuthorization(in); got != want {
			t.Errorf("StripAuthorization(%q)\n got %q\nwant %q", in, got, want)
		}
		if got := New(nil).Replace(in); got != want {
			t.Errorf("Masker.Replace(%q) = %q", in, got)
		}
	}
}
