package action

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/restore"
)

// maxAnnotations is how many annotations of one kind a step shows before
// one more sums up the rest: the UI shows only a handful per step, and the
// job summary has them all.
const maxAnnotations = 10

// outputDelimiter is the fixed heredoc delimiter go-githubactions writes
// GITHUB_OUTPUT with: no value may contain it, or the runner would end the
// value there and read the rest as further outputs.
const outputDelimiter = "_GitHubActionsFileCommandDelimeter_"

// Outputs returns the step outputs of a report, every value built from
// validated data or JSON-encoded.
func Outputs(rep any) (map[string]string, error) {
	out := map[string]string{}
	reportJSON, err := safeJSON(rep)
	if err != nil {
		return nil, err
	}
	out["report"] = reportJSON
	switch r := rep.(type) {
	case *check.Report:
		out["blocked"] = fmt.Sprint(r.Blocked)
	case *record.Report:
		out["digest"] = r.Outputs.Digest
		if out["digests"], err = safeJSON(r.Outputs.Digests); err != nil {
			return nil, err
		}
		out["pinned"] = r.Outputs.Pinned
		out["ledger"] = r.Outputs.Ledger
	case *restore.Report:
		if out["changed"], err = safeJSON(r.Outputs.Changed); err != nil {
			return nil, err
		}
		out["undo"] = r.Outputs.Undo
	}
	for k, v := range out {
		if strings.Contains(v, outputDelimiter) {
			return nil, fmt.Errorf("output %s would contain the GITHUB_OUTPUT delimiter; refusing to write it", k)
		}
	}
	return out, nil
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

// SetOutputs writes outputs to GITHUB_OUTPUT. go-githubactions panics when
// the file cannot be written; that becomes an error here.
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

// AddSummary appends the report's Markdown to the job summary.
func AddSummary(a *githubactions.Action, md string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("writing GITHUB_STEP_SUMMARY: %v", p)
		}
	}()
	a.AddStepSummary(md)
	return nil
}

// Annotate issues the annotations of a report: an error per blocked ref or
// failed tag, a notice per restored tag, each capped.
func Annotate(a *githubactions.Action, rep any) {
	var errs, notices []annotation
	switch r := rep.(type) {
	case *check.Report:
		for _, ref := range r.Refs {
			if ref.Verdict == check.Blocked {
				msg := ref.Ref + ": " + ref.Reason
				if ref.Fix != "" {
					msg += ". To fix: " + ref.Fix
				}
				errs = append(errs, annotation{title: "tagguard: " + ref.Tag + " blocked", msg: msg})
			}
		}
		for _, g := range r.Guards {
			if g.Verdict == check.Blocked && g.Name != check.GuardImmutable && g.Name != check.GuardFloating {
				msg := g.Detail
				if g.Fix != "" {
					msg += ". To fix: " + g.Fix
				}
				errs = append(errs, annotation{title: "tagguard: " + g.Name + " guard blocked", msg: msg})
			}
		}
	case *record.Report:
		for _, e := range r.Images {
			if e.Verdict == record.Moved || e.Verdict == record.Missing {
				errs = append(errs, annotation{title: "tagguard: " + e.Ref + " " + e.Verdict, msg: e.Ref + ": " + e.Reason})
			}
		}
	case *restore.Report:
		for _, t := range r.Tags {
			switch t.State {
			case restore.Restored:
				notices = append(notices, annotation{title: "tagguard: restored " + t.Ref, msg: fmt.Sprintf("%s now points at %s again (was %s)", t.Ref, t.To, orAbsent(t.From))})
			case restore.Failed, restore.Skipped:
				errs = append(errs, annotation{title: "tagguard: " + t.Ref + " " + t.State, msg: t.Ref + ": " + t.Reason})
			}
		}
	}
	issue(errs, "blocked or failed", func(title, msg string) {
		a.WithFieldsMap(map[string]string{"title": title}).Errorf("%s", msg)
	})
	issue(notices, "restored", func(title, msg string) {
		a.WithFieldsMap(map[string]string{"title": title}).Noticef("%s", msg)
	})
}

type annotation struct{ title, msg string }

func issue(as []annotation, what string, emit func(title, msg string)) {
	for i, an := range as {
		if i == maxAnnotations {
			emit("tagguard", fmt.Sprintf("%d more %s; the job summary lists them all", len(as)-maxAnnotations, what))
			return
		}
		emit(an.title, an.msg)
	}
}

func orAbsent(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}
