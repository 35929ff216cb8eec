package action

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/redact"
	"github.com/tagguard/tagguard/internal/report"
)

func digestN(i int) string { return fmt.Sprintf("sha256:%064x", i) }

// bigCheck is a check of n version tags, every one blocked.
func bigCheck(n int) *check.Report {
	r := &check.Report{Command: "check", Blocked: true, Summary: "BLOCKED"}
	for i := range n {
		yes := true
		r.Refs = append(r.Refs, check.Ref{
			Ref: fmt.Sprintf("ghcr.io/some-organisation/some-application-with-a-long-name:1.%d.%d", i/100, i%100), Tag: fmt.Sprintf("1.%d.%d", i/100, i%100),
			Kind: "immutable", Exists: &yes, Current: digestN(i), Verdict: check.Blocked,
			Reason: "1.2.3 already exists at " + digestN(i) + "; publishing would overwrite a released version",
			Fix:    "publish a new version instead; if this re-runs the same build, pass --digest " + digestN(i),
		})
	}
	return r
}

// TestSummaryStaysUnderTheStepLimit: at 5,000 refs the
// job summary stays under GitHub's 1 MiB per step, says what it left out,
// and shows short digests with the full ones collapsed below.
func TestSummaryStaysUnderTheStepLimit(t *testing.T) {
	t.Parallel()
	md := Summary("check", bigCheck(5000).Show())
	if len(md) >= 1<<20 {
		t.Fatalf("summary is %d bytes, GitHub's limit is 1 MiB", len(md))
	}
	if !strings.Contains(md, "more rows are not shown") || !strings.Contains(md, "`report` output") {
		t.Errorf("the summary does not say what it left out")
	}
	small := Summary("check", bigCheck(3).Show())
	if !strings.Contains(small, "| `sha256:000000000000…` |") {
		t.Errorf("no short digest in the table:\n%s", small)
	}
	if !strings.Contains(small, "<details><summary>Full digests</summary>") || !strings.Contains(small, "- `"+digestN(2)+"`") {
		t.Errorf("no full digests below the table:\n%s", small)
	}
	if strings.Contains(small, "--digest") || !strings.Contains(small, "pass digest: ") {
		t.Errorf("the summary names a flag, not the input:\n%s", small)
	}
}

// TestAnnotationsStayWithinTenPerLevel: GitHub shows 10 error and 10
// warning annotations per step, so the line that sums up the rest is the
// 10th, not an 11th GitHub drops; exactly 10 need no
// summing line.
func TestAnnotationsStayWithinTenPerLevel(t *testing.T) {
	t.Parallel()
	var shown report.Shown
	for i := range 25 {
		shown.Annotations = append(shown.Annotations,
			report.Annotation{Level: report.Bad, Title: "e", Message: fmt.Sprint("error ", i)},
			report.Annotation{Level: report.Warning, Title: "w", Message: fmt.Sprint("warning ", i)},
			report.Annotation{Level: report.Good, Title: "n", Message: fmt.Sprint("notice ", i)})
	}
	var out bytes.Buffer
	Annotate(githubactions.New(githubactions.WithWriter(&out)), redact.New(nil), shown, nil)
	counts := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		counts[strings.SplitN(l, " ", 2)[0]]++
	}
	for _, kind := range []string{"::error", "::warning", "::notice"} {
		if counts[kind] != 10 {
			t.Errorf("%d %s lines, want 9 and one that sums up 16 more", counts[kind], kind)
		}
	}
	if !strings.Contains(out.String(), "16 more errors; the job summary lists them all") {
		t.Errorf("no summing-up annotation:\n%s", out.String())
	}
	out.Reset()
	Annotate(githubactions.New(githubactions.WithWriter(&out)), redact.New(nil), report.Shown{Annotations: shown.Annotations[:30]}, nil)
	if n := strings.Count("\n"+out.String(), "\n::error "); n != 10 || strings.Contains(out.String(), "more errors") {
		t.Errorf("exactly 10 errors: %d lines\n%s", n, out.String())
	}
}

// TestOversizedOutputIsLeftOutWithAWarning: an output over GitHub's limit
// is left out with a note pointing at ledger-file, never a failed step.
func TestOversizedOutputIsLeftOutWithAWarning(t *testing.T) {
	t.Parallel()
	rep := &record.Report{Command: "record", Outputs: record.Outputs{Ledger: strings.Repeat("x", 2<<20), Pinned: "a/b@" + digestN(1)}}
	outs, notes, err := Outputs("record", rep, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := outs["ledger"]; ok {
		t.Error("a 2 MiB ledger output was written")
	}
	if outs["pinned"] != "a/b@"+digestN(1) {
		t.Errorf("pinned = %q", outs["pinned"])
	}
	if _, ok := outs["report"]; ok {
		t.Error("the report, which holds the 2 MiB ledger, was written")
	}
	joined := strings.Join(notes, "\n")
	if !strings.Contains(joined, "output ledger is") || !strings.Contains(joined, "ledger-file") {
		t.Errorf("notes %q: want the ledger output named, pointing at ledger-file", notes)
	}
}

// TestAnnotationBudgetCountsTheStepsOtherLines: warnings tagguard writes
// outside the report (an ignored input, an output left out) and the error
// line of a failed run count against GitHub's 10 per level, so the summing
// line is never the one GitHub drops.
func TestAnnotationBudgetCountsTheStepsOtherLines(t *testing.T) {
	t.Parallel()
	var shown report.Shown
	for i := range 20 {
		shown.Annotations = append(shown.Annotations, report.Annotation{Level: report.Warning, Title: "w", Message: fmt.Sprint("warning ", i)})
	}
	var out bytes.Buffer
	Annotate(githubactions.New(githubactions.WithWriter(&out)), redact.New(nil), shown, map[report.Level]int{report.Warning: 3})
	if n := strings.Count("\n"+out.String(), "\n::warning "); n != 7 || !strings.Contains(out.String(), "14 more warnings") {
		t.Errorf("%d warning lines, want 6 and one summing up 14 more (3 already written):\n%s", n, out.String())
	}
}
