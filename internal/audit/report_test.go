package audit

import (
	"strings"
	"testing"
	"time"
)

// TestCountsAddUpAndProblemsComeFirst: the headline's counts add up to
// the refs audited (unrestorable is said of the refs not ok, not beside
// them), and the text lists the refs not ok before the ok ones.
func TestCountsAddUpAndProblemsComeFirst(t *testing.T) {
	t.Parallel()
	no := false
	r := &Report{Ledgers: 1, Refs: []Ref{{Ref: "a:1", State: OK}, {Ref: "b:1", State: Missing, Restorable: &no}, {Ref: "c:1", State: OK}, {Ref: "d:1", State: Drifted}}}
	r.finish(time.Now())
	if !strings.Contains(r.Summary, "2 ok, 1 drifted, 1 missing (1 of the refs not ok unrestorable)") {
		t.Errorf("summary %q", r.Summary)
	}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Index(out, "b:1") > strings.Index(out, "a:1") || strings.Index(out, "d:1") > strings.Index(out, "a:1") {
		t.Errorf("ok rows before problems:\n%s", out)
	}
}
