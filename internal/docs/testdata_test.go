package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSharedTestdataIsRead: every file in the top-level testdata/ is named
// by some test, and listed in its README, so no fixture rots unread.
func TestSharedTestdataIsRead(t *testing.T) {
	t.Parallel()
	var tests strings.Builder
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			tests.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../testdata/README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir("../../testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("../../testdata", path)
		if rel == "README.md" || rel == ".gitattributes" {
			return nil
		}
		n++
		if !strings.Contains(tests.String(), rel) && !strings.Contains(tests.String(), filepath.Base(rel)) {
			t.Errorf("testdata/%s is read by no test", rel)
		}
		if !strings.Contains(string(readme), "`"+rel+"`") {
			t.Errorf("testdata/%s is not listed in testdata/README.md", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("only %d shared fixtures found", n)
	}
}
