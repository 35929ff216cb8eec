package report

import "testing"

func TestHelpers(t *testing.T) {
	t.Parallel()
	if Plural(1, "ref") != "1 ref" || Plural(0, "ref") != "0 refs" || Plural(3, "tag") != "3 tags" {
		t.Error("Plural")
	}
	if got := OneLine("denied:\n  read-only\r\n"); got != "denied: read-only" {
		t.Errorf("OneLine = %q", got)
	}
}
