package action

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/options"
)

var update = flag.Bool("update", false, "rewrite action.yml from the option table")

const actionYML = "../../action.yml"

// TestActionYMLMatchesTable fails when action.yml and the option table
// drift apart: a missing input, another default, an unknown output.
func TestActionYMLMatchesTable(t *testing.T) {
	want := RenderActionYML()
	if *update {
		if err := os.WriteFile(actionYML, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(actionYML)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("action.yml differs from the option table; run: go test ./internal/action -update")
	}
	for _, o := range options.Table() {
		if !strings.Contains(string(got), "\n  "+o.Name+":\n") {
			t.Errorf("action.yml has no input %s", o.Name)
		}
	}
}
