package ledger

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tagguard/tagguard/internal/errkind"
)

// doc builds a one-image ledger document; fields are JSON fragments.
func doc(schema, ref, digest, extra string) string {
	return fmt.Sprintf(`{"schema": %q, "images": [{"ref": %q, "digest": %q%s}]}`, schema, ref, digest, extra)
}

func img(ref, digest string) string { return doc(Schema, ref, digest, "") }

func platforms(ps ...string) string {
	return `, "platforms": [` + strings.Join(ps, ",") + `]`
}

func platform(p, d string) string { return fmt.Sprintf(`{"platform": %q, "digest": %q}`, p, d) }

type parseCase struct {
	name      string
	in        string
	want      *Ledger // checked when not nil
	wantErr   string  // substring of the error; "" means success
	wantField string  // ValidationError.Field
}

func parseCases() []parseCase {
	tooMany := `{"schema": "tagguard.ledger/v1", "images": [` + strings.Repeat(`{},`, MaxImages) + `{}]}`
	manyPlatforms := strings.TrimSuffix(strings.Repeat(platform("linux/amd64", digestAMD64)+",", MaxPlatforms+1), ",")
	huge := `{"schema": "tagguard.ledger/v1", "padding": "` + strings.Repeat("x", MaxSize) + `"}`

	return []parseCase{
		// Valid input.
		{name: "minimal", in: `{"schema": "tagguard.ledger/v1", "images": []}`,
			want: &Ledger{Schema: Schema, Images: nil}},
		{name: "no images field", in: `{"schema": "tagguard.ledger/v1"}`, want: &Ledger{Schema: Schema}},
		{name: "null values", in: `{"schema": "tagguard.ledger/v1", "created": null, "source": null, "images": null}`,
			want: &Ledger{Schema: Schema}},
		{name: "one image", in: img("ghcr.io/org/app:0.15.0", digestIndex),
			want: &Ledger{Schema: Schema, Images: []Image{{Ref: "ghcr.io/org/app:0.15.0", Digest: digestIndex}}}},
		{name: "unknown fields ignored", in: `{"schema": "tagguard.ledger/v1", "future": {"x": [1, 2, {"y": null}]},
			"source": {"repository": "org/app", "actor": "octocat"},
			"images": [{"ref": "ghcr.io/org/app:1", "digest": "` + digestIndex + `", "size": 3,
			"platforms": [{"platform": "linux/amd64", "digest": "` + digestAMD64 + `", "features": ["sse4"]}]}]}`,
			want: &Ledger{Schema: Schema, Source: Source{Repository: "org/app"}, Images: []Image{{
				Ref: "ghcr.io/org/app:1", Digest: digestIndex,
				Platforms: []Platform{{Platform: "linux/amd64", Digest: digestAMD64}}}}}},
		{name: "created in another zone is kept as UTC",
			in:   `{"schema": "tagguard.ledger/v1", "created": "2026-11-23T11:00:00.25+01:00"}`,
			want: &Ledger{Schema: Schema, Created: time.Date(2026, 11, 23, 10, 0, 0, 250e6, time.UTC)}},
		{name: "sha512 digest", in: img("ghcr.io/org/app:1", digest512), wantErr: "only sha256 is supported"},
		{name: "docker hub short name", in: img("org/app:1", digestIndex)},
		{name: "official image", in: img("ubuntu:24.04", digestIndex)},
		{name: "registry with port", in: img("localhost:5000/app:v1.2.3-rc.1", digestIndex)},
		{name: "ipv6 registry", in: img("[::1]:5000/team/app:1", digestIndex)},
		{name: "signature tag", in: img("ghcr.io/org/app:sha256-"+strings.Repeat("a", 64)+".sig", digestIndex)},
		{name: "platform variant and os version", in: doc(Schema, "ghcr.io/org/app:1", digestIndex, platforms(
			platform("linux/arm/v7", digestARM64), platform("windows/amd64:10.0.17763.5576", digestAMD64),
			platform("unknown/unknown", digestOld), platform("unknown/unknown", digestCLI)))},
		{name: "two tags", in: `{"schema": "tagguard.ledger/v1", "images": [
			{"ref": "ghcr.io/org/app:1", "digest": "` + digestIndex + `"},
			{"ref": "ghcr.io/org/app:1.2", "digest": "` + digestIndex + `"}]}`},

		// Schema.
		{name: "v2 refused", in: `{"schema": "tagguard.ledger/v2", "images": {"some": "new shape"}}`,
			wantErr: `schema: "tagguard.ledger/v2" is newer than this tagguard understands (v1): upgrade tagguard`, wantField: "schema"},
		{name: "v10 refused", in: `{"schema": "tagguard.ledger/v10"}`, wantErr: "upgrade tagguard", wantField: "schema"},
		{name: "huge version refused as newer", in: `{"schema": "tagguard.ledger/v99999999999999999999999"}`,
			wantErr: "upgrade tagguard", wantField: "schema"},
		{name: "v0", in: `{"schema": "tagguard.ledger/v0"}`, wantErr: "is not a schema this tagguard understands", wantField: "schema"},
		{name: "leading zero", in: `{"schema": "tagguard.ledger/v01"}`, wantErr: "is not a tagguard ledger schema", wantField: "schema"},
		{name: "other schema", in: `{"schema": "example.org/v1"}`, wantErr: "is not a tagguard ledger schema", wantField: "schema"},
		{name: "missing schema", in: `{"images": []}`, wantErr: "schema: is missing", wantField: "schema"},
		{name: "keys match exactly", in: `{"SCHEMA": "tagguard.ledger/v1"}`, wantErr: "schema: is missing", wantField: "schema"},
		{name: "schema not a string", in: `{"schema": 1}`, wantErr: "must be a JSON string", wantField: "schema"},

		// Digests.
		{name: "uppercase digest", in: img("ghcr.io/org/app:1", strings.ToUpper(digestIndex)), wantErr: "is not a digest", wantField: "images[0].digest"},
		{name: "uppercase hex", in: img("ghcr.io/org/app:1", "sha256:"+strings.ToUpper(digestIndex[7:])), wantErr: "is not a digest", wantField: "images[0].digest"},
		{name: "short digest", in: img("ghcr.io/org/app:1", digestIndex[:70]), wantErr: "is not a digest", wantField: "images[0].digest"},
		{name: "long digest", in: img("ghcr.io/org/app:1", digestIndex+"0"), wantErr: "is not a digest", wantField: "images[0].digest"},
		{name: "sha256 with 128 hex", in: img("ghcr.io/org/app:1", "sha256:"+digest512[7:]), wantErr: "is not a digest", wantField: "images[0].digest"},
		{name: "md5", in: img("ghcr.io/org/app:1", "md5:0123456789abcdef0123456789abcdef"), wantErr: "is not a digest", wantField: "images[0].digest"},
		{name: "missing digest", in: `{"schema": "tagguard.ledger/v1", "images": [{"ref": "ghcr.io/org/app:1"}]}`,
			wantErr: "images[0].digest: is missing", wantField: "images[0].digest"},
		{name: "bad platform digest", in: doc(Schema, "ghcr.io/org/app:1", digestIndex, platforms(platform("linux/amd64", "sha256:abc"))),
			wantErr: `images[0].platforms[0].digest: "sha256:abc" is not a digest`, wantField: "images[0].platforms[0].digest"},

		// References.
		{name: "no tag", in: img("ghcr.io/org/app", digestIndex), wantErr: `images[0].ref: "ghcr.io/org/app" has no tag`, wantField: "images[0].ref"},
		{name: "port but no tag", in: img("localhost:5000/app", digestIndex), wantErr: "has no tag", wantField: "images[0].ref"},
		{name: "tag and digest", in: img("ghcr.io/org/app:1@"+digestIndex, digestIndex), wantErr: "has a digest part", wantField: "images[0].ref"},
		{name: "digest only", in: img("ghcr.io/org/app@"+digestIndex, digestIndex), wantErr: "has a digest part", wantField: "images[0].ref"},
		{name: "empty tag", in: img("ghcr.io/org/app:", digestIndex), wantErr: "is not a valid image reference", wantField: "images[0].ref"},
		{name: "uppercase repository", in: img("ghcr.io/Org/App:1", digestIndex), wantErr: "is not a valid image reference", wantField: "images[0].ref"},
		{name: "tag starts with dot", in: img("ghcr.io/org/app:.1", digestIndex), wantErr: "has an invalid tag", wantField: "images[0].ref"},
		{name: "empty path component", in: img("ghcr.io/org//app:1", digestIndex), wantErr: "invalid repository path", wantField: "images[0].ref"},
		{name: "registry with odd characters", in: img(`ghcr"io./org/app:1`, digestIndex), wantErr: "images[0].ref", wantField: "images[0].ref"},
		{name: "url scheme", in: img("https://ghcr.io/org/app:1", digestIndex), wantErr: "URL scheme", wantField: "images[0].ref"},
		{name: "missing ref", in: `{"schema": "tagguard.ledger/v1", "images": [{"digest": "` + digestIndex + `"}]}`,
			wantErr: "images[0].ref: is missing", wantField: "images[0].ref"},
		{name: "very long ref", in: img("ghcr.io/org/"+strings.Repeat("a", 600)+":1", digestIndex), wantErr: "is longer than", wantField: "images[0].ref"},
		{name: "second entry named", in: `{"schema": "tagguard.ledger/v1", "images": [
			{"ref": "ghcr.io/org/app:1", "digest": "` + digestIndex + `"},
			{"ref": "ghcr.io/org/app", "digest": "` + digestIndex + `"}]}`,
			wantErr: `images[1].ref: "ghcr.io/org/app" has no tag`, wantField: "images[1].ref"},

		// Duplicates.
		{name: "duplicate ref", in: `{"schema": "tagguard.ledger/v1", "images": [
			{"ref": "ghcr.io/org/app:1", "digest": "` + digestIndex + `"},
			{"ref": "ghcr.io/org/app:1", "digest": "` + digestOld + `"}]}`,
			wantErr: `images[1].ref: "ghcr.io/org/app:1" names the same tag as images[0]`, wantField: "images[1].ref"},
		{name: "duplicate ref spelled differently", in: `{"schema": "tagguard.ledger/v1", "images": [
			{"ref": "ubuntu:24.04", "digest": "` + digestIndex + `"},
			{"ref": "docker.io/library/ubuntu:24.04", "digest": "` + digestOld + `"}]}`,
			wantErr: "names the same tag as images[0]", wantField: "images[1].ref"},
		{name: "duplicate key", in: `{"schema": "tagguard.ledger/v1", "schema": "tagguard.ledger/v1"}`,
			wantErr: `document: "schema" is a key given twice`, wantField: "document"},
		{name: "duplicate key in image", in: doc(Schema, "ghcr.io/org/app:1", digestIndex, `, "digest": "`+digestOld+`"`),
			wantErr: `"digest" is a key given twice`, wantField: "images[0]"},

		// Other fields.
		{name: "bad platform", in: doc(Schema, "ghcr.io/org/app:1", digestIndex, platforms(platform("linux", digestAMD64))),
			wantErr: `images[0].platforms[0].platform: "linux" is not a platform`, wantField: "images[0].platforms[0].platform"},
		{name: "platform with space", in: doc(Schema, "ghcr.io/org/app:1", digestIndex, platforms(platform("linux/amd 64", digestAMD64))),
			wantErr: "is not a platform", wantField: "images[0].platforms[0].platform"},
		{name: "bad media type", in: doc(Schema, "ghcr.io/org/app:1", digestIndex, `, "mediaType": "application"`),
			wantErr: "is not a media type", wantField: "images[0].mediaType"},
		{name: "bad created", in: `{"schema": "tagguard.ledger/v1", "created": "yesterday"}`, wantErr: "is not an RFC 3339 time", wantField: "created"},
		{name: "created not a string", in: `{"schema": "tagguard.ledger/v1", "created": 1700000000}`, wantErr: "must be a JSON string", wantField: "created"},
		{name: "bad repository", in: `{"schema": "tagguard.ledger/v1", "source": {"repository": "org"}}`, wantErr: "is not a GitHub repository", wantField: "source.repository"},
		{name: "bad sha", in: `{"schema": "tagguard.ledger/v1", "source": {"sha": "abc123"}}`, wantErr: "is not a commit SHA", wantField: "source.sha"},
		{name: "bad git ref", in: `{"schema": "tagguard.ledger/v1", "source": {"ref": "main"}}`, wantErr: "is not a git ref", wantField: "source.ref"},
		{name: "javascript run url", in: `{"schema": "tagguard.ledger/v1", "source": {"run": "javascript:alert(1)"}}`, wantErr: "is not an http(s) URL", wantField: "source.run"},
		{name: "run url with parenthesis", in: `{"schema": "tagguard.ledger/v1", "source": {"run": "https://x.example/a)b"}}`, wantErr: "is not an http(s) URL", wantField: "source.run"},

		// Malformed or hostile input.
		{name: "empty", in: ``, wantErr: "unexpected end of input", wantField: "document"},
		{name: "truncated", in: `{"schema": "tagguard.ledger/v1", "images": [`, wantErr: "images: is not valid JSON", wantField: "images"},
		{name: "not an object", in: `[]`, wantErr: "document: must be a JSON object", wantField: "document"},
		{name: "images not an array", in: `{"schema": "tagguard.ledger/v1", "images": {}}`, wantErr: "images: must be a JSON array", wantField: "images"},
		{name: "image not an object", in: `{"schema": "tagguard.ledger/v1", "images": [1]}`, wantErr: "images[0]: must be a JSON object", wantField: "images[0]"},
		{name: "trailing data", in: `{"schema": "tagguard.ledger/v1"} {"schema": "tagguard.ledger/v2"}`, wantErr: "has data after the JSON object", wantField: "document"},
		{name: "syntax error", in: `{"schema": "tagguard.ledger/v1",}`, wantErr: "is not valid JSON", wantField: "document"},
		{name: "huge input", in: huge, wantErr: "more than the 4194304 a ledger may be", wantField: "document"},
		{name: "too many images", in: tooMany, wantErr: "images: holds more than the 10000 entries allowed", wantField: "images"},
		{name: "too many platforms", in: doc(Schema, "ghcr.io/org/app:1", digestIndex, `, "platforms": [`+manyPlatforms+`]`),
			wantErr: "holds more than the 256 entries allowed", wantField: "images[0].platforms"},
		{name: "deep nesting", in: `{"schema": "tagguard.ledger/v1", "x": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`,
			wantErr: "is not valid JSON", wantField: `"x"`},
		{name: "hostile unknown key", in: "{\"schema\": \"tagguard.ledger/v1\", \"\\n::error::k\": [", wantErr: `"\n::error::k": is not valid JSON`, wantField: `"\n::error::k"`},
		{name: "hostile duplicate key", in: "{\"schema\": \"tagguard.ledger/v1\", \"source\": {\"\\n::error::k\": 1, \"\\n::error::k\": 2}}", wantErr: `source: "\n::error::k" is a key given twice`, wantField: "source"},
		{name: "workflow command in ref", in: img("ghcr.io/org/app:1\n::error::pwned", digestIndex),
			wantErr: `"ghcr.io/org/app:1\n::error::pwned"`, wantField: "images[0].ref"},
		{name: "line separator in schema", in: `{"schema": "x\u2028::warning::y"}`, wantErr: `"x\u2028::warning::y"`, wantField: "schema"},
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range parseCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse([]byte(tc.in))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if tc.want != nil {
					if diff := cmp.Diff(tc.want, got); diff != "" {
						t.Errorf("Parse (-want +got):\n%s", diff)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse succeeded, want an error containing %q", tc.wantErr)
			}
			checkInputError(t, err, tc.wantErr, tc.wantField)
		})
	}
}

// checkInputError asserts what every error caused by input must be: a
// *ValidationError naming the field, bad input to errkind, and one line.
func checkInputError(t *testing.T, err error, wantErr, wantField string) {
	t.Helper()
	msg := err.Error()
	if !strings.Contains(msg, wantErr) {
		t.Errorf("error %q does not contain %q", msg, wantErr)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %q is not a *ValidationError", msg)
	}
	if wantField != "" && ve.Field != wantField {
		t.Errorf("ValidationError.Field = %q, want %q", ve.Field, wantField)
	}
	if k := errkind.Of(err); k != errkind.BadInput {
		t.Errorf("errkind.Of = %v, want BadInput", k)
	}
	if strings.ContainsAny(msg, "\r\n\u0085\u2028\u2029") {
		t.Errorf("error message spans lines: %q", msg)
	}
	if len(msg) > 1000 {
		t.Errorf("error message is %d bytes long", len(msg))
	}
}

func TestParseFiles(t *testing.T) {
	t.Parallel()
	got := readLedger(t, "testdata/ledgers/multiarch.json")
	want := &Ledger{
		Schema:  Schema,
		Created: created(t, "2026-11-23T10:00:00Z"),
		Source: Source{
			Repository: "org/app",
			SHA:        "4f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39",
			Ref:        "refs/tags/v0.15.0",
			Run:        "https://github.com/org/app/actions/runs/123456789",
		},
		Images: []Image{{
			Ref:       "ghcr.io/org/app:0.15.0",
			Digest:    digestIndex,
			MediaType: indexType,
			// Parse keeps the order of the input; Marshal sorts.
			Platforms: []Platform{
				{Platform: "linux/arm64", Digest: digestARM64},
				{Platform: "linux/amd64", Digest: digestAMD64},
				{Platform: "linux/arm/v7", Digest: "sha256:22a706ae67234e9fce89f07dead8e03e2c9d2e3a3eafa30c86fae1508074a672"},
			},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}

	if _, err := Parse(readFile(t, "testdata/ledgers/unknown-fields.json")); err != nil {
		t.Errorf("unknown fields: %v", err)
	}
	_, err := Parse(readFile(t, "testdata/ledgers/v2.json"))
	want2 := "parsing ledger: schema: \"tagguard.ledger/v2\" is newer than this tagguard understands (v1): upgrade tagguard"
	if err == nil || err.Error() != want2 {
		t.Errorf("v2: got error %v, want %q", err, want2)
	}
}

func TestValidationErrorTruncates(t *testing.T) {
	t.Parallel()
	long := "ghcr.io/org/" + strings.Repeat("x", 400) // no tag
	_, err := Parse([]byte(img(long, digestIndex)))
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	if strings.Contains(err.Error(), long) {
		t.Errorf("error repeats a %d-byte value in full: %q", len(long), err)
	}
	if !strings.Contains(err.Error(), `…"`) {
		t.Errorf("error does not mark the cut: %q", err)
	}
}
