package refs

import (
	"strings"
	"testing"
)

// TestProblem: malformed references are refused up
// front, before a request, by one grammar.
func TestProblem(t *testing.T) {
	t.Parallel()
	good := []string{"ghcr.io/org/app:1.2.3", "org/app:latest", "app:v1", "127.0.0.1:5000/a/b:x", "localhost:5000/a:1", "[::1]:5000/a:1", "registry.example.com/a_b/c-d/e.f:1.0-rc.1"}
	for _, s := range good {
		if p := Problem(s); p != "" {
			t.Errorf("Problem(%q) = %q, want none", s, p)
		}
	}
	bad := map[string]string{
		"host//repo:tag":                                 "invalid repository path",
		"host:5000:5000/repo:tag":                        "invalid registry host",
		"ghcr.io/Org/app:1":                              "not a valid image reference",
		"ghcr.io/org/app/:1":                             "invalid",
		"ghcr.io/org/app":                                "no tag",
		"ghcr.io/org/app:":                               "not a valid image reference",
		"ghcr.io/org/app:.hidden":                        "invalid tag",
		"ghcr.io/org/app:-x":                             "invalid tag",
		"ghcr.io/org/app:1@sha256:aa":                    "digest part",
		"https://ghcr.io/org/app:1":                      "URL scheme",
		"ghcr.io/org/my app:1":                           "white space",
		"ghcr.io/org/app:" + strings.Repeat("a", 129):    "not a valid image reference",
		"ghcr.io/" + strings.Repeat("a/", 300) + "app:1": "longer than",
		"ghcr.io/org/app__x--y:1":                        "",
		"ghcr.io/org/app...x:1":                          "invalid repository path",
	}
	for s, want := range bad {
		got := Problem(s)
		if want == "" {
			if got != "" {
				t.Errorf("Problem(%q) = %q, want none", s, got)
			}
			continue
		}
		if !strings.Contains(got, want) {
			t.Errorf("Problem(%q) = %q, want it to say %q", s, got, want)
		}
	}
}

func TestParseDigest(t *testing.T) {
	t.Parallel()
	if _, err := ParseDigest("sha256:" + strings.Repeat("a", 64)); err != nil {
		t.Error(err)
	}
	for _, s := range []string{"sha512:" + strings.Repeat("a", 128), "sha256:" + strings.Repeat("A", 64), "sha256:1234", "md5:abc", strings.Repeat("a", 64), "sha256:" + strings.Repeat("a", 65)} {
		if _, err := ParseDigest(s); err == nil {
			t.Errorf("ParseDigest(%q) accepted", s)
		}
	}
	if _, err := ParseDigest("sha512:" + strings.Repeat("a", 128)); !strings.Contains(err.Error(), "only sha256") {
		t.Errorf("sha512: %v", err)
	}
}

// TestMetadataHostsAreRefused: a ledger or release
// note naming 169.254.169.254 as a registry made audit and restore dial
// it. Link-local addresses and cloud metadata hosts are bad references.
func TestMetadataHostsAreRefused(t *testing.T) {
	t.Parallel()
	for _, ref := range []string{
		"169.254.169.254/latest/meta-data:1",
		"169.254.169.254:80/app:1",
		"[fe80::1]:5000/app:1",
		"metadata.google.internal/app:1",
		"100.100.100.200/app:1",
		"[fd00:ec2::254]/app:1",
	} {
		if p := Problem(ref); p == "" {
			t.Errorf("%s is accepted", ref)
		}
	}
	for _, ok := range []string{"ghcr.io/org/app:1", "127.0.0.1:5000/app:1", "10.0.0.5:5000/app:1"} {
		if p := Problem(ok); p != "" {
			t.Errorf("%s: %s", ok, p)
		}
	}
}

func TestImageProblem(t *testing.T) {
	t.Parallel()
	digest := "sha256:" + strings.Repeat("a", 64)
	for in, want := range map[string]string{
		"nginx":                                "",
		"nginx:1.27":                           "",
		"ghcr.io/org/app@" + digest:            "",
		"localhost:5000/org/app:1.0@" + digest: "",
		"169.254.169.254/org/app:1":            "link-local",
		"metadata.google.internal/app":         "cloud metadata",
		"[fe80::1]:5000/app:1":                 "link-local",
		"ghcr.io/org/app@sha256:abc":           "invalid digest",
		"ghcr.io/Org/app:1":                    "repository can only contain",
		"host:1:2/app:1":                       "invalid registry host",
		"app:1 ":                               "white space",
	} {
		got := ImageProblem(in)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("ImageProblem(%q) = %q, want %q", in, got, want)
		}
	}
}
