package errkind

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestREADMEExitCodes holds the README's exit-code table to the kinds: the
// help text is made from them, and the README must say the same.
func TestREADMEExitCodes(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds {
		row := fmt.Sprintf("| %d | %s |", int(k), k.Meaning())
		if !strings.Contains(string(b), row) {
			t.Errorf("README.md lacks the exit-code row %q", row)
		}
	}
	if got := ExitCodes(); !strings.HasPrefix(got, "Exit codes: 0 ok, 1 blocked by a guard, 2 bad input") {
		t.Errorf("ExitCodes() = %q", got)
	}
}
