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
	for cmd := range blockedBy {
		if row := fmt.Sprintf("| `%s` | %s |", cmd, Blocked.MeaningFor(cmd)); !strings.Contains(string(b), row) {
			t.Errorf("README.md lacks the exit-1 row %q", row)
		}
	}
	if got := ExitCodes(); !strings.HasPrefix(got, "Exit codes: 0 ok, 1 blocked by a guard, 2 bad input") {
		t.Errorf("ExitCodes() = %q", got)
	}
}

// TestExitOneInEachCommandsTerms: every command's help
// explains exit 1 in its own terms, from the one table.
func TestExitOneInEachCommandsTerms(t *testing.T) {
	t.Parallel()
	for cmd, want := range map[string]string{
		"check":   "1 blocked by a guard",
		"promote": "1 blocked by a guard (the signature gate too), or a source not whole",
		"record":  "1 refused: a tag is not at the expected digest",
		"restore": "1 the pre-flight refused",
		"audit":   "1 drift:",
	} {
		got := ExitCodesFor(cmd)
		if !strings.Contains(got, want) || !strings.Contains(got, "2 bad input") {
			t.Errorf("%s: %q, want %q", cmd, got, want)
		}
	}
	if strings.Contains(ExitCodesFor("audit"), "4 ") || !strings.Contains(ExitCodesFor("restore"), "4 partly applied") {
		t.Errorf("audit never writes; restore can be partly applied: %q / %q", ExitCodesFor("audit"), ExitCodesFor("restore"))
	}
}
