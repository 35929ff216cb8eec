package action

import (
	"fmt"
	"strings"

	"github.com/tagguard/tagguard/internal/report"
)

// maxSummary bounds the Markdown one step adds to the job summary: GitHub
// refuses more than 1 MiB per step. Rows past the budget are counted, not
// shown; the report output and the step log hold them all.
const maxSummary = 1<<20 - 16<<10

// shortDigest is how many hex digits of a digest a table shows.
const shortDigest = 12

// Summary renders what a report shows as the Markdown of the job summary:
// short digests in the tables and the full ones in a collapsed block,
// within GitHub's size limit.
func Summary(cmd string, s report.Shown) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### tagguard %s: %s\n\n", cmd, cell(Say(s.Title)))
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "%s\n\n", cell(Say(n)))
	}
	var digests []string
	seen := map[string]bool{}
	budget := maxSummary - len(b.String()) - 4096 // room for the footer and the truncation line
	for ti, t := range s.Tables {
		if ti > 0 {
			b.WriteString("\n")
		}
		var head, rule []string
		for _, c := range t.Columns {
			head, rule = append(head, c.Name), append(rule, "---")
		}
		fmt.Fprintf(&b, "| %s |\n| %s |\n", strings.Join(head, " | "), strings.Join(rule, " | "))
		for ri, row := range t.Rows {
			line := renderRow(t.Columns, row, func(d string) {
				if !seen[d] {
					seen[d] = true
					digests = append(digests, d)
				}
			})
			if b.Len()+len(line) > budget {
				fmt.Fprintf(&b, "\n%d more rows are not shown: the summary would pass GitHub's 1 MiB limit. The `report` output and the step log hold them all.\n", len(t.Rows)-ri)
				break
			}
			b.WriteString(line)
		}
	}
	if len(s.Footer) > 0 {
		b.WriteString("\n")
		for _, f := range s.Footer {
			fmt.Fprintf(&b, "%s\n", cell(Say(f)))
		}
	}
	if len(digests) > 0 {
		var d strings.Builder
		d.WriteString("\n<details><summary>Full digests</summary>\n\n")
		for _, dg := range digests {
			fmt.Fprintf(&d, "- `%s`\n", dg)
		}
		d.WriteString("\n</details>\n")
		if b.Len()+d.Len() <= maxSummary {
			b.WriteString(d.String())
		}
	}
	if s.Next != "" {
		fmt.Fprintf(&b, "\n**Next:** %s\n", cell(Say(s.Next)))
	}
	return b.String()
}

func renderRow(cols []report.Column, row report.Row, digest func(string)) string {
	cells := make([]string, len(cols))
	for i, c := range cols {
		v := ""
		if i < len(row.Cells) {
			v = row.Cells[i]
		}
		switch c.Kind {
		case report.Verdict:
			v = mark(row.Level) + " " + cell(v)
		case report.Code:
			v = code(v)
		case report.Digest:
			if isDigest(v) {
				digest(v)
				v = "`" + v[:len("sha256:")+shortDigest] + "…`"
			} else {
				v = cell(v)
			}
		default:
			v = cell(Say(v))
		}
		cells[i] = v
	}
	return "| " + strings.Join(cells, " | ") + " |\n"
}

func isDigest(s string) bool {
	if len(s) != len("sha256:")+64 || !strings.HasPrefix(s, "sha256:") {
		return false
	}
	return strings.Trim(s[len("sha256:"):], "0123456789abcdef") == ""
}

func mark(l report.Level) string {
	switch l {
	case report.Bad:
		return "❌"
	case report.Warning:
		return "⚠️"
	}
	return "✅"
}

// cell makes text inert in the summary, in a table cell or a line of its
// own: every character Markdown or HTML gives a meaning (emphasis, links
// and images, code, HTML, entities, table breaks) is backslash-escaped, as
// CommonMark allows for any ASCII punctuation, and the autolinks GitHub
// makes of bare URLs, www. names and e-mail addresses are broken up the
// same way; no line breaks. Text from outside (a release note, a
// registry's error) then renders as the characters it is, never as a link
// or an image that calls another host.
func cell(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\r' || r == '\n':
			b.WriteByte(' ')
			continue
		case strings.ContainsRune("\\`*_{}[]()#+!|<>~&@$^", r),
			r == ':' && strings.HasPrefix(s[i:], "://"),
			r == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www"):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// code shows s as a code span in a table cell: nothing in it renders.
// A code span cannot hold its own delimiter, and a table splits on | even
// inside one, so those two are replaced and escaped.
func code(s string) string {
	if strings.TrimSpace(s) == "" {
		return "" // an empty code span renders as two backticks
	}
	return "`" + strings.NewReplacer("\r", " ", "\n", " ", "`", "'", "|", `\|`).Replace(s) + "`"
}
