package ledger

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tagguard/tagguard/internal/errkind"
)

func TestMerge(t *testing.T) {
	t.Parallel()
	t1 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 11, 23, 10, 5, 0, 0, time.UTC)
	src1 := Source{Repository: "org/app", Run: "https://github.com/org/app/actions/runs/1"}
	src2 := Source{Repository: "org/app", Run: "https://github.com/org/app/actions/runs/2"}
	app := Image{Ref: "ghcr.io/org/app:0.15.0", Digest: digestIndex, MediaType: indexType,
		Platforms: []Platform{{Platform: "linux/arm64", Digest: digestARM64}, {Platform: "linux/amd64", Digest: digestAMD64}}}
	appSorted := Image{Ref: app.Ref, Digest: app.Digest, MediaType: app.MediaType,
		Platforms: []Platform{{Platform: "linux/amd64", Digest: digestAMD64}, {Platform: "linux/arm64", Digest: digestARM64}}}
	rebuilt := Image{Ref: "ghcr.io/org/app:0.15.0", Digest: digestRebuilt}
	cli := Image{Ref: "ghcr.io/org/app-cli:0.15.0", Digest: digestCLI}
	hubShort := Image{Ref: "org/app:0.15.0", Digest: digestOld}
	hubLong := Image{Ref: "docker.io/org/app:0.15.0", Digest: digestHub}

	tests := []struct {
		name       string
		prev, next *Ledger
		want       *Ledger
	}{
		{name: "both nil", want: &Ledger{Schema: Schema}},
		{name: "prev only",
			prev: &Ledger{Created: t1, Source: src1, Images: []Image{app}},
			want: &Ledger{Schema: Schema, Images: []Image{appSorted}}},
		{name: "next only, sorted",
			next: &Ledger{Created: t2, Source: src2, Images: []Image{cli, app}},
			want: &Ledger{Schema: Schema, Created: t2, Source: src2, Images: []Image{cli, appSorted}}},
		{name: "same ref replaced",
			prev: &Ledger{Created: t1, Source: src1, Images: []Image{app}},
			next: &Ledger{Created: t2, Source: src2, Images: []Image{rebuilt}},
			want: &Ledger{Schema: Schema, Created: t2, Source: src2, Images: []Image{rebuilt}}},
		{name: "other refs kept",
			prev: &Ledger{Created: t1, Source: src1, Images: []Image{app}},
			next: &Ledger{Created: t2, Source: src2, Images: []Image{hubLong, cli}},
			want: &Ledger{Schema: Schema, Created: t2, Source: src2, Images: []Image{hubLong, cli, appSorted}}},
		{name: "same tag spelled differently",
			prev: &Ledger{Images: []Image{hubShort, cli}},
			next: &Ledger{Images: []Image{hubLong}},
			want: &Ledger{Schema: Schema, Images: []Image{hubLong, cli}}},
		{name: "created and source from next even when empty",
			prev: &Ledger{Created: t1, Source: src1, Images: []Image{cli}},
			next: &Ledger{Images: []Image{app}},
			want: &Ledger{Schema: Schema, Images: []Image{cli, appSorted}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Merge(tc.prev, tc.next)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Merge (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeLeavesInputsAlone(t *testing.T) {
	t.Parallel()
	// Unsorted platforms, so that Merge has something to sort.
	unsorted := func() *Ledger {
		l := sample(t)
		p := l.Images[0].Platforms
		p[0], p[1] = p[1], p[0]
		return l
	}
	prev, next := sample(t), unsorted()
	got := Merge(prev, next)
	got.Images[0].Platforms[0].Digest = digestOld
	if diff := cmp.Diff(sample(t), prev); diff != "" {
		t.Errorf("prev changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(unsorted(), next); diff != "" {
		t.Errorf("next changed (-want +got):\n%s", diff)
	}
}

func TestMarshalGolden(t *testing.T) {
	t.Parallel()
	l := readLedger(t, "testdata/ledgers/multiarch.json")
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	goldenFile(t, "testdata/marshal.golden.json", b)

	back, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse(Marshal): %v", err)
	}
	if diff := cmp.Diff(l.canonical(), back); diff != "" {
		t.Errorf("Parse(Marshal(l)) (-want +got):\n%s", diff)
	}
}

func TestMarshalCanonical(t *testing.T) {
	t.Parallel()
	a := sample(t)
	a.Images = append(a.Images, Image{Ref: "docker.io/org/app:0.15.0", Digest: digestHub})
	b := sample(t)
	b.Schema = "" // a ledger built in code need not name its schema
	b.Created = a.Created.In(time.FixedZone("CET", 3600))
	b.Images = []Image{{Ref: "docker.io/org/app:0.15.0", Digest: digestHub}, a.Images[0]}
	pl := b.Images[1].Platforms
	b.Images[1].Platforms = []Platform{pl[1], pl[0]}

	ja, err := a.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	jb, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(ja) != string(jb) {
		t.Errorf("equal ledgers marshal differently:\n%s\n%s", ja, jb)
	}
	if !strings.Contains(string(ja), `"created": "2026-11-23T10:00:00Z"`) {
		t.Errorf("created is not written in UTC:\n%s", ja)
	}
	if !strings.Contains(string(jb), `"schema": "tagguard.ledger/v1"`) {
		t.Errorf("schema missing:\n%s", jb)
	}
}

func TestMarshalRefusesInvalid(t *testing.T) {
	t.Parallel()
	tests := map[string]func(*Ledger){
		"ref without tag":   func(l *Ledger) { l.Images[0].Ref = "ghcr.io/org/app" },
		"bad digest":        func(l *Ledger) { l.Images[0].Digest = "sha256:abc" },
		"duplicate":         func(l *Ledger) { l.Images = append(l.Images, l.Images[0]) },
		"newer schema":      func(l *Ledger) { l.Schema = "tagguard.ledger/v2" },
		"year out of range": func(l *Ledger) { l.Created = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"bad run":           func(l *Ledger) { l.Source.Run = "https://example.com/a b" },
	}
	for name, spoil := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := sample(t)
			spoil(l)
			if b, err := l.Marshal(); err == nil {
				t.Fatalf("Marshal succeeded:\n%s", b)
			} else {
				checkInputError(t, err, "", "")
			}
		})
	}
}

func TestValidateNil(t *testing.T) {
	t.Parallel()
	var l *Ledger
	if err := l.Validate(); err == nil {
		t.Error("Validate(nil) succeeded")
	}
}

func TestValidationErrorKind(t *testing.T) {
	t.Parallel()
	err := error(&ValidationError{Field: "images[0].ref", Value: "x\n::error::y", Reason: "has no tag"})
	if got, want := err.Error(), `images[0].ref: "x\n::error::y" has no tag`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var ke *errkind.Error
	if !errors.As(err, &ke) || ke.Kind != errkind.BadInput {
		t.Errorf("errors.As to *errkind.Error: got %v", ke)
	}
	if errkind.ExitCode(err) != 2 {
		t.Errorf("exit code %d, want 2", errkind.ExitCode(err))
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"plain":                     `"plain"`,
		"a\r\nb":                    `"a\r\nb"`,
		"\u2028::error::x":          `"\u2028::error::x"`,
		"\xff":                      `"\xff"`,
		strings.Repeat("é", 100):    `"` + strings.Repeat("é", 80) + `…"`,
		strings.Repeat("a", 80):     `"` + strings.Repeat("a", 80) + `"`,
		strings.Repeat("a", 81):     `"` + strings.Repeat("a", 80) + `…"`,
		"\x1b]0;title\x07 terminal": `"\x1b]0;title\a terminal"`,
	}
	for in, want := range tests {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}
