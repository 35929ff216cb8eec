package action

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/tagguard/tagguard/internal/redact"
	"github.com/tagguard/tagguard/internal/report"
)

// maxAnnotations is how many annotations of one level a step shows, the
// one that sums up the rest among them: GitHub shows at most 10 errors
// and 10 warnings per step, and the job summary has them all.
const maxAnnotations = 10

// maxOutput bounds one output value: GitHub refuses outputs of 1 MiB and
// more. A value over it is left out with a warning, not a failed step.
const maxOutput = 1<<20 - 1024

// outputDelimiter is the fixed heredoc delimiter go-githubactions writes
// GITHUB_OUTPUT with: no value may contain it, or the runner would end the
// value there and read the rest as further outputs.
const outputDelimiter = "_GitHubActionsFileCommandDelimeter_"

// Outputs returns the step outputs of a report: report (the JSON
// envelope, the document --format json prints) and what the report shows,
// each string as it is and anything else as compact JSON. notes name the
// outputs left out for their size.
func Outputs(cmd string, rep report.Report, code int) (outs map[string]string, notes []string, err error) {
	outs = map[string]string{}
	env := report.NewEnvelope(cmd, rep, code)
	if outs["report"], err = safeJSON(env); err != nil {
		return nil, nil, err
	}
	// The outputs are the envelope's, so the report output and the single
	// outputs can never say two things (blocked, above all).
	for name, v := range env.Outputs {
		s, isString := v.(string)
		if !isString {
			if s, err = safeJSON(v); err != nil {
				return nil, nil, err
			}
		}
		outs[name] = s
	}
	for k, v := range outs {
		if strings.Contains(v, outputDelimiter) {
			return nil, nil, fmt.Errorf("output %s would contain the GITHUB_OUTPUT delimiter; refusing to write it", k)
		}
		if len(v) > maxOutput {
			delete(outs, k)
			hint := "read the report from the step log (format: json)"
			if k == "ledger" || k == "drift" || k == "undo" {
				hint = "use ledger-file to keep it as a file (and upload it as an artifact)"
			}
			notes = append(notes, fmt.Sprintf("output %s is %d bytes, over GitHub's limit of 1 MiB, and was left out: %s", k, len(v), hint))
		}
	}
	return outs, notes, nil
}

// safeJSON encodes v compactly. A string that holds the output delimiter
// gets its first underscore as \u005f: the same JSON value, but never the
// delimiter's bytes.
func safeJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding output: %w", err)
	}
	return strings.ReplaceAll(string(b), outputDelimiter, `\u005f`+outputDelimiter[1:]), nil
}

// SetOutputs writes outputs to GITHUB_OUTPUT in the order action.yml lists
// them. go-githubactions panics when the file cannot be written; that
// becomes an error here.
func SetOutputs(a *githubactions.Action, outs map[string]string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("writing GITHUB_OUTPUT: %v", p)
		}
	}()
	for _, k := range OutputNames() {
		if v, ok := outs[k]; ok {
			a.SetOutput(k, v)
		}
	}
	return nil
}

// AddSummary appends Markdown to the job summary.
func AddSummary(a *githubactions.Action, md string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("writing GITHUB_STEP_SUMMARY: %v", p)
		}
	}()
	a.AddStepSummary(md)
	return nil
}

// Annotate issues a report's annotations, at most maxAnnotations of each
// level, less the ones the step already wrote (used): past that, the last
// line sums up the rest. Every message is masked and worded for the
// action.
func Annotate(a *githubactions.Action, mask *redact.Masker, shown report.Shown, used map[report.Level]int) {
	byLevel := map[report.Level][]report.Annotation{}
	for _, an := range shown.Annotations {
		byLevel[an.Level] = append(byLevel[an.Level], an)
	}
	emit := map[report.Level]func(title, msg string){
		report.Bad:     func(t, m string) { a.WithFieldsMap(map[string]string{"title": t}).Errorf("%s", m) },
		report.Warning: func(t, m string) { a.WithFieldsMap(map[string]string{"title": t}).Warningf("%s", m) },
		report.Good:    func(t, m string) { a.WithFieldsMap(map[string]string{"title": t}).Noticef("%s", m) },
	}
	what := map[report.Level]string{report.Bad: "errors", report.Warning: "warnings", report.Good: "notices"}
	for _, lvl := range []report.Level{report.Bad, report.Warning, report.Good} {
		all := byLevel[lvl]
		budget := max(maxAnnotations-used[lvl], 1)
		for i, an := range all {
			if i == budget-1 && len(all) > budget {
				emit[lvl]("tagguard", fmt.Sprintf("%d more %s; the job summary lists them all", len(all)-i, what[lvl]))
				break
			}
			emit[lvl](mask.Replace(report.OneLine(an.Title)), mask.Replace(Say(report.OneLine(an.Message))))
		}
	}
}
