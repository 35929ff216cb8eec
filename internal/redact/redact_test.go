package redact

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"slices"
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

// TestEveryEncodingOfACredentialIsMasked: a token
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
	for _, want := range []string{"s3cr3t-pass?>", "s3cr3t-pass%3F%3E", "robot:s3cr3t-pass?>", "cm9ib3Q6czNjcjN0LXBhc3M/Pg==", "eyJhbGciOiJFUzI1NiJ9.bearer-token-from-a-token-service"} {
		if !slices.Contains(announced, want) {
			t.Errorf("%q was not announced: %q", want, announced)
		}
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

// TestURLEncodedSecretsAreMasked: a secret echoed
// percent- or form-encoded (in a URL, a query, a form body) passed
// through, as did a base64 run of user:secret that was not one of the
// four Basic forms.
func TestURLEncodedSecretsAreMasked(t *testing.T) {
	t.Parallel()
	const user, secret = "robot", "S3cr3t/pw+d%x:y z"
	m := New(nil)
	m.AddCredential(user, secret)
	pair := user + ":" + secret
	for _, echoed := range []string{
		secret,
		url.QueryEscape(secret), // S3cr3t%2Fpw%2Bd%25x%3Ay+z
		url.PathEscape(secret),
		regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(url.QueryEscape(secret), strings.ToLower),
		strings.ReplaceAll(url.QueryEscape(secret), "+", "%20"),
		url.QueryEscape(pair),
		url.PathEscape(pair),
		base64.StdEncoding.EncodeToString([]byte(pair)),
		base64.RawURLEncoding.EncodeToString([]byte(pair)),
		base64.StdEncoding.EncodeToString([]byte("prefix-" + pair + "\n")), // another wrapping
	} {
		got := m.Replace("the registry said: " + echoed + " was refused")
		if got != "the registry said: *** was refused" {
			t.Errorf("%q: got %q", echoed, got)
		}
	}
	if got := m.Replace("sha256:" + strings.Repeat("ab", 32) + " and c3RyaW5nIHdpdGhvdXQgYSBzZWNyZXQ="); strings.Contains(got, "***") {
		t.Errorf("text without a secret was masked: %q", got)
	}
}

// TestJSONEscapedAndMisalignedSecretsAreMasked: a review
// item 3 found a secret echoed JSON-escaped (\/ or \u002f) and a base64
// run after a URL path or an id_ prefix passing through.
func TestJSONEscapedAndMisalignedSecretsAreMasked(t *testing.T) {
	t.Parallel()
	const user, secret = "robot", "S3cr3t/pw<x>"
	m := New(nil)
	m.AddCredential(user, secret)
	pair := user + ":" + secret
	for _, echoed := range []string{
		`S3cr3t\/pw<x>`,
		`S3cr3t/pw\u003cx\u003e`,
		`S3cr3t\u002fpw\u003cx\u003e`,
		`S3cr3t\u002Fpw\u003Cx\u003E`,
		"/v2/auth/" + base64.StdEncoding.EncodeToString([]byte(pair)),
		"id_" + base64.RawURLEncoding.EncodeToString([]byte(pair)),
		"abc" + base64.StdEncoding.EncodeToString([]byte(pair)),
	} {
		if got := m.Replace("said: " + echoed + " end"); strings.Contains(got, echoed) || !strings.Contains(got, "***") {
			t.Errorf("%q: %q", echoed, got)
		}
	}
}

func TestShortTokensAreMaskedWhole(t *testing.T) {
	t.Parallel()
	m := New(nil)
	m.AddWord("s3cr3tTok")
	for in, want := range map[string]string{
		`{"token":"s3cr3tTok"}`:             `{"token":"***"}`,
		"Bearer s3cr3tTok, again s3cr3tTok": "Bearer ***, again ***",
		"s3cr3tTok":                         "***",
		"xs3cr3tTok s3cr3tTokx s3cr3tTok.x": "xs3cr3tTok s3cr3tTokx s3cr3tTok.x",
		"s3cr3tToks3cr3tTok s3cr3tTok":      "s3cr3tToks3cr3tTok ***",
	} {
		if got := m.Replace(in); got != want {
			t.Errorf("Replace(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNoURLQueryReachesText(t *testing.T) {
	t.Parallel()
	m := New(nil)
	for in, want := range map[string]string{
		`Patch "http://127.0.0.1:5000/v2/org/app/blobs/uploads/3f1c?_state=eyJOYW1lIjoib3JnL2FwcCJ9&digest=sha256:abc": connection reset`: `Patch "http://127.0.0.1:5000/v2/org/app/blobs/uploads/3f1c": connection reset`,
		`GET https://s3.example.com/blob?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F&X-Amz-Signature=deadbeef failed`:                   `GET https://s3.example.com/blob failed`,
		`Location: /v2/org/app/blobs/uploads/3f1c?_state=abc`:                                                                             `Location: /v2/org/app/blobs/uploads/3f1c`,
		`is this ok? yes`: `is this ok? yes`,
	} {
		if got := m.Replace(in); got != want {
			t.Errorf("Replace(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}
