package record

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/oci"
	"github.com/tagguard/tagguard/internal/report"
)

// Verdict is what record found at a ref.
type Verdict string

// Entry verdicts.
const (
	Recorded Verdict = "recorded"
	Moved    Verdict = "moved"   // the tag points elsewhere than the build pushed
	Missing  Verdict = "missing" // the tag is not in the registry
	Error    Verdict = "error"   // the registry could not be read
)

// Report is the outcome of a record run.
type Report struct {
	report.Refusal `json:"-"`     // why it refused, if it did: exit 1, never an error
	Command        string         `json:"-"` // the envelope names it
	Blocked        bool           `json:"blocked"`
	Summary        string         `json:"-"`      // the envelope carries it
	PlanOnly       bool           `json:"dryRun"` // the plan, not applied
	Expected       string         `json:"expectedDigest"`
	Source         string         `json:"source"`
	Images         []Entry        `json:"images"`
	Outputs        Outputs        `json:"-"` // the envelope carries them, as JSON values
	LedgerFile     *FileResult    `json:"ledgerFile"`
	Release        *ReleaseResult `json:"release"`
	Notes          []string       `json:"notes"`
}

// Entry is one recorded ref.
type Entry struct {
	Ref       string            `json:"ref"`
	Digest    string            `json:"digest,omitempty"`
	MediaType string            `json:"mediaType,omitempty"`
	Platforms []ledger.Platform `json:"platforms,omitempty"`
	// Attached is what is attached to the digest (--referrers): nil when
	// not read.
	Attached *ledger.Attached `json:"attached,omitempty"`
	Verdict  Verdict          `json:"verdict"`
	Reason   string           `json:"reason,omitempty"`
	Fix      string           `json:"fix,omitempty"`
	err      error
	inline   map[string]bool // an index's inline BuildKit attestations, by image digest
}

// Shown are the outputs as the action sets them, in order: record's, and
// promote's after its blocked.
func (o Outputs) Shown() []report.Output {
	return []report.Output{
		{Name: "digest", Value: o.Digest},
		{Name: "digests", Value: o.Digests},
		{Name: "pinned", Value: o.Pinned},
		{Name: "ledger", Value: o.Ledger},
		{Name: "ledger-digest", Value: o.LedgerDigest},
	}
}

// Outputs are the action outputs of record.
type Outputs struct {
	Digest  string            `json:"digest,omitempty"` // when every ref shares one
	Digests map[string]string `json:"digests"`          // ref → digest
	Pinned  string            `json:"pinned"`           // newline list of repo@digest
	Ledger  string            `json:"ledger"`           // the ledger JSON
	// LedgerDigest is the sha256 of the ledger's bytes: the release asset
	// when one was written or found, else the ledger file's.
	LedgerDigest string `json:"ledgerDigest"`
}

// FileResult says what happened to the ledger file.
type FileResult struct {
	Path   string `json:"path"`
	Action string `json:"action"`
}

// ReleaseResult says what happened to the release notes.
type ReleaseResult struct {
	Tag    string `json:"tag,omitempty"`
	URL    string `json:"url,omitempty"`
	Action string `json:"action"`
	// Changes names each ref whose digest in the notes this run replaces,
	// and each kind of attachment the notes recorded that this read no
	// longer finds.
	Changes []string `json:"changes,omitempty"`
	// Asset says what happened to the release's ledger asset
	// (tagguard-ledger.json), the copy of the ledger an immutable release
	// seals.
	Asset string `json:"asset"`
	// LedgerDigest is the sha256 of the asset's bytes.
	LedgerDigest string `json:"ledgerDigest"`

	skip bool // nothing to write to GitHub
	// sealing is the ledger the asset must hold when the notes cannot
	// (too large for them): nil while the notes hold it.
	sealing *ledger.Ledger
}

func (r *Report) setOutputs(l *ledger.Ledger) error {
	r.Outputs.Digests = map[string]string{}
	var pins, distinct []string
	for _, im := range l.Images {
		r.Outputs.Digests[im.Ref] = im.Digest
		repo := im.Ref[:strings.LastIndex(im.Ref, ":")]
		pins = append(pins, repo+"@"+im.Digest)
		if !slices.Contains(distinct, im.Digest) {
			distinct = append(distinct, im.Digest)
		}
	}
	if len(distinct) == 1 {
		r.Outputs.Digest = distinct[0]
	}
	slices.Sort(pins)
	r.Outputs.Pinned = strings.Join(slices.Compact(pins), "\n")
	b, err := l.Marshal()
	if err != nil {
		return err
	}
	r.Outputs.Ledger = strings.TrimSpace(string(b))
	r.Outputs.LedgerDigest = LedgerDigest(b)
	return nil
}

func (r *Report) finish() {
	counts := map[Verdict]int{}
	for _, e := range r.Images {
		counts[e.Verdict]++
	}
	r.Blocked = counts[Moved] > 0 || counts[Missing] > 0
	switch {
	case counts[Error] > 0:
		r.Summary = fmt.Sprintf("INCOMPLETE: %d of %d refs could not be read; nothing was written", counts[Error], len(r.Images))
	case r.Blocked:
		r.Summary = fmt.Sprintf("BLOCKED: %d moved, %d missing of %d refs; nothing was written", counts[Moved], counts[Missing], len(r.Images))
	case r.PlanOnly:
		r.Summary = "DRY RUN: would record " + report.Plural(len(r.Images), "ref") + "; nothing was written"
	default:
		r.Summary = "OK: recorded " + report.Plural(len(r.Images), "ref")
	}
}

// WriteText writes the human report.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "tagguard record: %s\n", r.Summary)
	if r.Source != "" {
		fmt.Fprintf(&b, "images from %s\n", r.Source)
	}
	if r.Expected != "" {
		fmt.Fprintf(&b, "expected digest %s\n", r.Expected)
	}
	b.WriteString("\n")
	for _, e := range r.Images {
		label := e.Verdict
		if r.Blocked && label == Recorded {
			label = "matches" // nothing was recorded: another ref blocked
		}
		fmt.Fprintf(&b, "%-8s %s\n", strings.ToUpper(string(label)), e.Ref)
		if e.Digest != "" {
			fmt.Fprintf(&b, "         %s %s\n", e.Digest, e.MediaType)
		}
		if e.Attached != nil {
			fmt.Fprintf(&b, "         attached: %s\n", oci.FromRecord(e.Attached))
		}
		for _, p := range e.Platforms {
			fmt.Fprintf(&b, "         %-16s %s\n", p.Platform, p.Digest)
			if p.Attached != nil {
				fmt.Fprintf(&b, "         %-16s attached: %s\n", "", oci.FromRecord(p.Attached))
			}
		}
		if e.Reason != "" {
			fmt.Fprintf(&b, "         %s\n", e.Reason)
		}
		if e.Fix != "" {
			fmt.Fprintf(&b, "         fix: %s\n", e.Fix)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if r.LedgerFile != nil {
		fmt.Fprintf(&b, "\nledger file %s: %s\n", r.LedgerFile.Path, r.LedgerFile.Action)
	}
	if r.Release != nil {
		fmt.Fprintf(&b, "release notes")
		if r.Release.Tag != "" {
			fmt.Fprintf(&b, " of %s", r.Release.Tag)
		}
		fmt.Fprintf(&b, ": %s\n", r.Release.Action)
		if r.Release.URL != "" {
			fmt.Fprintf(&b, "  %s\n", r.Release.URL)
		}
		for _, c := range r.Release.Changes {
			fmt.Fprintf(&b, "  changed: %s\n", c)
		}
		if r.Release.Asset != "" {
			fmt.Fprintf(&b, "ledger asset: %s\n", r.Release.Asset)
		}
	}
	if !r.Blocked && len(r.Outputs.Digests) > 0 {
		b.WriteString("\noutputs:\n")
		if r.Outputs.Digest != "" {
			fmt.Fprintf(&b, "  digest  %s\n", r.Outputs.Digest)
		}
		fmt.Fprintf(&b, "  pinned  %s\n", strings.ReplaceAll(r.Outputs.Pinned, "\n", "\n          "))
		fmt.Fprintf(&b, "  ledger-digest  %s\n", r.Outputs.LedgerDigest)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Headline is the summary line.
func (r *Report) Headline() string { return r.Summary }

// SetHeadline replaces the summary line (report.Agree).
func (r *Report) SetHeadline(s string) { r.Summary = s }

// Blocking reports whether a tag was found moved or missing: nothing is
// recorded then.
func (r *Report) Blocking() bool { return r.Blocked }

// Show is what the action shows of a record: a row per ref with its
// platforms, an error annotation per moved or missing ref, and the outputs.
func (r *Report) Show() report.Shown {
	s := report.Shown{Title: r.Summary}
	if r.Source != "" {
		s.Notes = append(s.Notes, "Images from "+r.Source+".")
	}
	t := report.Table{Columns: []report.Column{{Name: "verdict", Kind: report.Verdict}, {Name: "ref", Kind: report.Code}, {Name: "digest", Kind: report.Digest}, {Name: "platforms"}, {Name: "reason"}}}
	for _, e := range r.Images {
		var ps []string
		for _, p := range e.Platforms {
			ps = append(ps, p.Platform)
		}
		lvl := report.Good
		if e.Verdict != Recorded {
			lvl = report.Bad
		}
		t.Rows = append(t.Rows, report.Row{Level: lvl, Cells: []string{string(e.Verdict), e.Ref, e.Digest, strings.Join(ps, ", "), e.Reason}})
		if e.Verdict == Moved || e.Verdict == Missing {
			s.Annotations = append(s.Annotations, report.Annotation{Level: report.Bad, Title: "tagguard: " + e.Ref + " " + string(e.Verdict), Message: e.Ref + ": " + e.Reason})
		}
	}
	s.Tables = []report.Table{t}
	if r.LedgerFile != nil {
		s.Footer = append(s.Footer, fmt.Sprintf("Ledger file %s: %s.", r.LedgerFile.Path, r.LedgerFile.Action))
	}
	if r.Release != nil {
		s.Footer = append(s.Footer, fmt.Sprintf("Release notes %s: %s.", r.Release.Tag, r.Release.Action))
		if r.Release.Asset != "" {
			s.Footer = append(s.Footer, fmt.Sprintf("Ledger asset: %s.", r.Release.Asset))
		}
	}
	s.Outputs = r.Outputs.Shown()
	s.Next = r.next()
	return s
}

// next is the step after this record, in the workflow's terms.
func (r *Report) next() string {
	switch {
	case r.Blocked || !strings.HasPrefix(r.Summary, "OK") && !strings.HasPrefix(r.Summary, "DRY RUN"):
		// A plan that failed is no dry run to confirm: it is a failure.
		return "fix what the rows say, then run record again"
	case r.PlanOnly:
		return "run again with --dry-run=false to record"
	case r.Release != nil && r.Release.Tag != "" && !r.Release.skip:
		return "when a tag is overwritten, restore it from this release: tagguard restore --from-release " + r.Release.Tag + " --dry-run"
	case r.LedgerFile != nil:
		return "keep the ledger file (an artifact); when a tag is overwritten: tagguard restore --from-ledger " + r.LedgerFile.Path + " --dry-run"
	}
	return "when a tag is overwritten, restore it from the ledger output: tagguard restore --from-ledger … --dry-run"
}
