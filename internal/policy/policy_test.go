package policy

import (
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

func TestKind(t *testing.T) {
	t.Parallel()
	sig := "sha256-" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name      string
		immutable []string
		mutable   []string
		tag       string
		want      Kind
	}{
		{name: "plain version", tag: "1.2.3", want: Immutable},
		{name: "v prefix", tag: "v1.2.3", want: Immutable},
		{name: "prerelease", tag: "1.2.3-rc.1", want: Immutable},
		{name: "leading zero is no version", tag: "01.2.3", want: Mutable},
		{name: "two v", tag: "vv1.2.3", want: Mutable},
		{name: "latest", tag: "latest", want: Floating},
		{name: "bare major", tag: "1", want: Floating},
		{name: "bare major v", tag: "v1", want: Floating},
		{name: "major minor", tag: "1.2", want: Floating},
		{name: "major minor v", tag: "v0.15", want: Floating},
		{name: "leading zero major", tag: "01", want: Mutable},
		{name: "sha tag", tag: "sha-abc123", want: Mutable},
		{name: "branch", tag: "main", want: Mutable},
		{name: "Latest is not latest", tag: "Latest", want: Mutable},
		{name: "signature", tag: sig + ".sig", want: Mutable},
		{name: "attestation", tag: sig + ".att", want: Mutable},
		{name: "sbom", tag: sig + ".sbom", want: Mutable},
		{name: "referrers fallback", tag: sig, want: Mutable},
		{name: "signature even when globbed", immutable: []string{"*"}, tag: sig + ".sig", want: Mutable},
		{name: "globs replace semver", immutable: []string{"release-*"}, tag: "1.2.3", want: Mutable},
		{name: "glob match", immutable: []string{"release-*"}, tag: "release-7", want: Immutable},
		{name: "glob miss but floating", immutable: []string{"release-*"}, tag: "latest", want: Floating},
		{name: "mutable carves out", mutable: []string{"*-rc.*"}, tag: "1.2.3-rc.1", want: Mutable},
		{name: "mutable carve leaves others", mutable: []string{"*-rc.*"}, tag: "1.2.3", want: Immutable},
		{name: "latest made immutable", immutable: []string{"latest"}, tag: "latest", want: Immutable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := New(tt.immutable, tt.mutable)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Kind(tt.tag); got != tt.want {
				t.Errorf("Kind(%q) = %s, want %s", tt.tag, got, tt.want)
			}
		})
	}
}

func TestNewRejectsBadGlob(t *testing.T) {
	t.Parallel()
	for _, g := range []string{"[", "", "  "} {
		if _, err := New([]string{g}, nil); err == nil {
			t.Errorf("New(%q) accepted a bad glob", g)
		}
	}
}

func TestLine(t *testing.T) {
	t.Parallel()
	tags := []string{"0.9.0", "1.0.0", "1.4.8", "1.4.9", "1.5.0-rc.1", "v1.3.7", "2.0.0", "2.1.0-beta", "latest", "1", "sha-1", "01.9.9"}
	tests := []struct {
		tag      string
		want     string
		wantLine string
		none     bool
	}{
		{tag: "latest", want: "2.0.0", wantLine: "all releases"},
		{tag: "1", want: "1.4.9", wantLine: "1.x.y"},
		{tag: "v1", want: "1.4.9", wantLine: "1.x.y"},
		{tag: "1.3", want: "v1.3.7", wantLine: "1.3.y"},
		{tag: "1.5", none: true, wantLine: "1.5.y"},
		{tag: "0", want: "0.9.0", wantLine: "0.x.y"},
		{tag: "3", none: true, wantLine: "3.x.y"},
	}
	for _, tt := range tests {
		l, ok := LineOf(tt.tag)
		if !ok {
			t.Fatalf("LineOf(%q) not a line", tt.tag)
		}
		if l.String() != tt.wantLine {
			t.Errorf("LineOf(%q) = %s, want %s", tt.tag, l, tt.wantLine)
		}
		_, tag, found := l.Highest(tags)
		if found == tt.none || tag != tt.want {
			t.Errorf("%s: Highest = %q (found %v), want %q", tt.tag, tag, found, tt.want)
		}
	}
	for _, notLine := range []string{"1.2.3", "sha-abc123", "v", "1.", "1.2.3.4", "Latest", "-1"} {
		if _, ok := LineOf(notLine); ok {
			t.Errorf("LineOf(%q) is a line, want none", notLine)
		}
	}
}

func TestLineContains(t *testing.T) {
	t.Parallel()
	l, _ := LineOf("1.4")
	for v, want := range map[string]bool{"1.4.0": true, "1.4.9": true, "1.5.0": false, "2.4.0": false, "1.4.10-rc.1": false} {
		sv, ok := ParseVersion(v)
		if !ok {
			t.Fatal(v)
		}
		if got := l.Contains(sv); got != want {
			t.Errorf("1.4 contains %s = %v, want %v", v, got, want)
		}
	}
}

// TestAdvanceCandidates: the versions a floating tag away from its record
// is compared with, newest first and bounded; with the recorded version
// unknown nothing counts: no move is then an advance.
func TestAdvanceCandidates(t *testing.T) {
	t.Parallel()
	tags := []string{"0.9.0", "1.0.0", "1.0.1", "1.1.0", "1.2.0-rc.1", "1.3.0", "2.0.0", "latest", "1", "v1.4.0"}
	for _, tc := range []struct {
		floating, since string
		want            []string
	}{
		{"latest", "1.0.0", []string{"2.0.0", "v1.4.0", "1.3.0"}},
		{"1", "1.0.0", []string{"v1.4.0", "1.3.0", "1.1.0"}},
		{"1.0", "1.0.0", []string{"1.0.1"}},
		{"1.0", "1.0.1", nil},
		{"latest", "", nil},
		{"1", "", nil},
	} {
		line, _ := LineOf(tc.floating)
		var since *semver.Version
		if tc.since != "" {
			since, _ = ParseVersion(tc.since)
		}
		var got []string
		for _, c := range line.AdvanceCandidates(tags, since) {
			got = append(got, c.Tag)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s since %q: %v, want %v", tc.floating, tc.since, got, tc.want)
		}
	}
}

// TestSignatureTagsAreNeverVersions: cosign's and the
// referrers fallback's tags never count as versions or floating tags.
func TestSignatureTagsAreNeverVersions(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("ab", 32)
	for _, tag := range []string{"sha256-" + hex, "sha256-" + hex + ".sig", "sha256-" + hex + ".att", "sha256-" + hex + ".sbom"} {
		if _, ok := ParseVersion(tag); ok {
			t.Errorf("%s parses as a version", tag)
		}
		if _, ok := LineOf(tag); ok {
			t.Errorf("%s is a floating tag", tag)
		}
		if k := (Policy{Immutable: []string{"*"}}).Kind(tag); k != Mutable {
			t.Errorf("%s is %s under immutable-tags *", tag, k)
		}
	}
	line, _ := LineOf("latest")
	if got := line.AdvanceCandidates([]string{"sha256-" + hex + ".sig", "1.2.0"}, mustVersion("1.0.0")); len(got) != 1 || got[0].Tag != "1.2.0" {
		t.Errorf("candidates %v", got)
	}
}

func mustVersion(s string) *semver.Version { v, _ := ParseVersion(s); return v }

// TestMatchRef: a --tags glob holding "/" picks whole references, so one
// repository (or mirror) of a ledger can be restored alone.
func TestMatchRef(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		glob, tag, ref string
		want           bool
	}{
		{"1.*", "1.2.3", "ghcr.io/org/app:1.2.3", true},
		{"ghcr.io/org/app:*", "1.2.3", "ghcr.io/org/app:1.2.3", true},
		{"ghcr.io/org/app:*", "1.2.3", "mirror.example.com/org/app:1.2.3", false},
		{"*/org/app:latest", "latest", "ghcr.io/org/app:latest", true},
		{"ghcr.io/org/*:1.2.3", "1.2.3", "ghcr.io/org/worker:1.2.3", true},
	} {
		if got := MatchRef([]string{tc.glob}, tc.tag, tc.ref); got != tc.want {
			t.Errorf("MatchRef(%q, %q, %q) = %v", tc.glob, tc.tag, tc.ref, got)
		}
	}
}
