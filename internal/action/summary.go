package action

import (
	"fmt"
	"strings"

	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/restore"
)

// Summary renders a report as the Markdown of the job summary.
func Summary(rep any) string {
	var b strings.Builder
	switch r := rep.(type) {
	case *check.Report:
		fmt.Fprintf(&b, "### tagguard check: %s\n\n", cell(r.Summary))
		if r.Source != "" {
			fmt.Fprintf(&b, "Images from %s.\n\n", cell(r.Source))
		}
		b.WriteString("| verdict | ref | kind | now | reason |\n| --- | --- | --- | --- | --- |\n")
		for _, ref := range r.Refs {
			now := code(ref.Now())
			reason := ref.Reason
			if ref.Fix != "" {
				reason += ". To fix: " + ref.Fix
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", verdict(ref.Verdict), cell(ref.Ref), ref.Kind, now, cell(reason))
		}
		b.WriteString("\n| guard | verdict | detail |\n| --- | --- | --- |\n")
		for _, g := range r.Guards {
			detail := g.Detail
			if g.Fix != "" {
				detail += ". To fix: " + g.Fix
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", g.Name, verdict(g.Verdict), cell(detail))
		}
	case *record.Report:
		fmt.Fprintf(&b, "### tagguard record: %s\n\n", cell(r.Summary))
		b.WriteString("| ref | digest | platforms | verdict |\n| --- | --- | --- | --- |\n")
		for _, e := range r.Images {
			var ps []string
			for _, p := range e.Platforms {
				ps = append(ps, fmt.Sprintf("%s `%s`", cell(p.Platform), p.Digest))
			}
			v := e.Verdict
			if e.Reason != "" {
				v += ": " + e.Reason
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", cell(e.Ref), e.Digest, strings.Join(ps, "<br>"), cell(v))
		}
		if r.LedgerFile != nil {
			fmt.Fprintf(&b, "\nLedger file `%s`: %s.\n", cell(r.LedgerFile.Path), cell(r.LedgerFile.Action))
		}
		if r.Release != nil {
			fmt.Fprintf(&b, "\nRelease notes %s: %s.\n", cell(r.Release.Tag), cell(r.Release.Action))
		}
	case *restore.Report:
		fmt.Fprintf(&b, "### tagguard restore: %s\n\nFrom %s.\n\n", cell(r.Summary), cell(r.Source))
		b.WriteString("| state | ref | from | to | detail |\n| --- | --- | --- | --- | --- |\n")
		for _, t := range r.Tags {
			fmt.Fprintf(&b, "| %s | `%s` | %s | `%s` | %s |\n", verdict(t.State), cell(t.Ref), code(orAbsent(t.From)), t.To, cell(t.Reason))
		}
	}
	return b.String()
}

func verdict(v string) string {
	switch v {
	case check.Blocked, restore.Failed, check.Error:
		return "❌ " + v
	case check.Warn, restore.Skipped, restore.Planned:
		return "⚠️ " + v
	default:
		return "✅ " + v
	}
}

func code(s string) string {
	if strings.HasPrefix(s, "sha") {
		return "`" + s + "`"
	}
	return s
}

// cell makes text safe in a Markdown table cell: no row breaks, no column
// breaks, no HTML (the summary renders it), no code-span escapes.
func cell(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`, "<", "&lt;", ">", "&gt;", "`", "'").Replace(s)
}
