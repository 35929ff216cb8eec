package githubapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
)

// TestAssetsDraftUploadPublishSeal: a draft takes an asset; the download
// follows GitHub's redirect to its storage host without the token; once
// the release is published under the immutable-releases setting, GitHub
// refuses a new asset and the deletion of one (ErrRefused), and the
// release says it is immutable.
func TestAssetsDraftUploadPublishSeal(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t, ghtest.WithToken(token))
	s.SetImmutableReleases("org", "app", true)
	c, _ := newClient(t, s)
	ctx := context.Background()
	draft, err := c.CreateDraftRelease(ctx, "org", "app", "v1.0.0", "notes")
	if err != nil {
		t.Fatal(err)
	}
	if draft.Sealed() {
		t.Fatal("a draft reads as sealed")
	}
	a, err := c.UploadAsset(ctx, "org", "app", draft, "tagguard-ledger.json", []byte(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.DownloadAsset(ctx, "org", "app", a.ID, 1<<20)
	if err != nil || string(got) != `{"x":1}` {
		t.Fatalf("download: %q, %v", got, err)
	}
	if n := s.DownloadsWithCredentials(); n != 0 {
		t.Errorf("%d downloads carried the GitHub token to the storage host", n)
	}
	if _, err := c.UploadAsset(ctx, "org", "app", draft, "tagguard-ledger.json", []byte(`{}`)); err == nil {
		t.Error("a second asset of the same name was taken")
	}

	s.Publish("org", "app", "v1.0.0")
	rel, err := c.FindRelease(ctx, "org", "app", "v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if !rel.Sealed() || len(rel.Assets) != 1 || rel.Assets[0].Name != "tagguard-ledger.json" {
		t.Fatalf("published release: sealed %v, assets %+v", rel.Sealed(), rel.Assets)
	}
	if _, err := c.UploadAsset(ctx, "org", "app", rel, "other.json", []byte(`{}`)); !errors.Is(err, githubapi.ErrRefused) {
		t.Errorf("upload to a sealed release: %v, want ErrRefused", err)
	}
	if err := c.DeleteAsset(ctx, "org", "app", a.ID); !errors.Is(err, githubapi.ErrRefused) {
		t.Errorf("deletion on a sealed release: %v, want ErrRefused", err)
	}
}

// TestReleaseAssetsPages: the asset list is read to its last page.
func TestReleaseAssetsPages(t *testing.T) {
	t.Parallel()
	s := ghtest.New(t, ghtest.WithToken(token))
	rel := s.AddRelease("org", "app", ghtest.Release{TagName: "v1", Draft: true})
	for i := range 150 {
		s.AddAsset("org", "app", "v1", ghtest.Asset{Name: fmt.Sprintf("a%d", i), Data: []byte("x")})
	}
	c, _ := newClient(t, s)
	assets, err := c.ReleaseAssets(context.Background(), "org", "app", rel.ID)
	if err != nil || len(assets) != 150 {
		t.Fatalf("%d assets, %v", len(assets), err)
	}
}

// TestAssetURLsGitHubNamesAreHeldToTheRules: an upload URL or a download
// redirect GitHub names must be HTTPS (or loopback HTTP) and never a
// link-local or metadata host.
func TestAssetURLsGitHubNamesAreHeldToTheRules(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]bool{
		"https://uploads.github.com/repos/o/r/releases/1/assets":    true,
		"http://127.0.0.1:8080/uploads/repos/o/r/releases/1/assets": true,
		"http://uploads.example.com/x":                              false,
		"https://169.254.169.254/latest/meta-data":                  false,
		"https://metadata.google.internal/x":                        false,
		"https://[fe80::1]/x":                                       false,
		"/relative":                                                 false,
	} {
		u, err := url.Parse(raw)
		if got := githubapi.UsableURL(u, err); got != want {
			t.Errorf("%s: usable %v, want %v", raw, got, want)
		}
	}
}

// TestStorageRedirectsAreHeldToTheRules: a storage host that redirects a
// download further, to a metadata address or to plain HTTP elsewhere, is
// not followed.
func TestStorageRedirectsAreHeldToTheRules(t *testing.T) {
	t.Parallel()
	for _, to := range []string{"https://169.254.169.254/latest/meta-data/", "http://example.com/ledger.json"} {
		s := ghtest.New(t, ghtest.WithToken(token))
		s.AddRelease("org", "app", ghtest.Release{TagName: "v1", Draft: true})
		a := s.AddAsset("org", "app", "v1", ghtest.Asset{Name: "tagguard-ledger.json", Data: []byte("{}")})
		s.RedirectStorage(to)
		c, _ := newClient(t, s)
		_, err := c.DownloadAsset(context.Background(), "org", "app", a.ID, 1<<20)
		if err == nil || !strings.Contains(err.Error(), "does not follow") {
			t.Errorf("a storage redirect to %s: %v", to, err)
		}
	}
}

// TestUploadAnswered5xxIsTakenOnlyWhenItsBytesAreThere: an upload GitHub
// stored but answered 502 is found in the asset list and taken; another
// writer's asset of the same name and size is not this upload, and the
// upload fails rather than claim it.
func TestUploadAnswered5xxIsTakenOnlyWhenItsBytesAreThere(t *testing.T) {
	t.Parallel()
	mine, theirs := []byte(`{"ref":"mine"}`), []byte(`{"ref":"evil"}`)
	for _, tc := range []struct {
		name   string
		stored []byte
		taken  bool
	}{
		{"stored, then 502", mine, true},
		{"another writer's asset of the same size", theirs, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := ghtest.New(t, ghtest.WithToken(token))
			s.AddRepo("org", "app")
			c, _ := newClient(t, s)
			ctx := context.Background()
			draft, err := c.CreateDraftRelease(ctx, "org", "app", "v1.0.0", "notes")
			if err != nil {
				t.Fatal(err)
			}
			s.BeforeNextAt(http.MethodPost, "/assets", func() {
				s.AddAsset("org", "app", "v1.0.0", ghtest.Asset{Name: "tagguard-ledger.json", Data: tc.stored})
			})
			s.FailNextAt(http.MethodPost, "/assets", ghtest.ServerError(http.StatusBadGateway))
			a, err := c.UploadAsset(ctx, "org", "app", draft, "tagguard-ledger.json", mine)
			if tc.taken != (err == nil) || (tc.taken && a.Name != "tagguard-ledger.json") {
				t.Errorf("asset %+v, err %v: want taken %v", a, err, tc.taken)
			}
		})
	}
}
