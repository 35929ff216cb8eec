package load

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/githubapi"
	"github.com/tagguard/tagguard/internal/githubapi/ghtest"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEachFromEverySource loads ledger files and every release (notes with
// a section, in LF and CRLF, one without, one broken) through the shared
// fixtures of the top-level testdata.
func TestEachFromEverySource(t *testing.T) {
	t.Parallel()
	gh := ghtest.New(t, ghtest.WithToken("t0ken"))
	gh.AddRelease("octo-org", "app", ghtest.Release{TagName: "v1.2.1", Body: fixture(t, "releases/with-ledger.md")})
	gh.AddRelease("octo-org", "app", ghtest.Release{TagName: "v1.2.2", Body: fixture(t, "releases/without-ledger.md")})
	gh.AddRelease("octo-org", "app", ghtest.Release{TagName: "v1.2.3", Body: fixture(t, "releases/with-ledger-crlf.md")})
	gh.AddRelease("octo-org", "app", ghtest.Release{TagName: "v1.2.4", Body: strings.Replace(fixture(t, "releases/with-ledger.md"), "tagguard:ledger:end", "tagguard:ledger:stop", 1)})
	c, _ := githubapi.New(githubapi.Config{Token: "t0ken", BaseURL: gh.URL})
	var from []string
	problems, err := Each(context.Background(), Sources{
		Files:       []string{"../../../testdata/ledgers/v1-image.json", "../../../testdata/ledgers/v1-index.json"},
		AllReleases: true, Repository: "octo-org/app", GitHub: c,
	}, func(l Loaded) error {
		from = append(from, l.From)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "ledger file ../../../testdata/ledgers/v1-image.json,ledger file ../../../testdata/ledgers/v1-index.json,release v1.2.3,release v1.2.1"
	if strings.Join(from, ",") != want {
		t.Errorf("loaded from %v", from)
	}
	if len(problems) != 1 || problems[0].From != "release v1.2.4" {
		t.Errorf("problems %+v: want the broken section of v1.2.4", problems)
	}

	// A future schema in a file, a named release without a ledger: bad input.
	for _, s := range []Sources{
		{Files: []string{"../../../testdata/ledgers/v2-future.json"}},
		{Release: "v1.2.2", Repository: "octo-org/app", GitHub: c},
		{AllReleases: true, Repository: "octo-org/app"},
	} {
		if _, err := Each(context.Background(), s, func(Loaded) error { return nil }); errkind.Of(err) != errkind.BadInput {
			t.Errorf("%+v: err %v, want bad input", s, err)
		}
	}
}
