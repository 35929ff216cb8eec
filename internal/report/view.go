package report

import "io"

// Report is what every command hands back: a human text report, the same
// content as JSON (the report value itself), and what a GitHub Actions
// step shows of it. A new command adds these methods to its own report;
// the CLI and the action adapter need no edit.
type Report interface {
	// Headline is the summary line: its first word is the verdict.
	Headline() string
	// SetHeadline replaces it: Agree gives it the exit code's word.
	SetHeadline(string)
	// WriteText writes the human report.
	WriteText(w io.Writer) error
	// Blocking reports whether a guard refused: exit 1, unless an error
	// says more.
	Blocking() bool
	// Refused is why the command refused to write, "" when it did not:
	// exit 1, said where an error is. Refuse records it. An embedded
	// Refusal provides both; check and audit never refuse.
	Refused() string
	Refuse(format string, a ...any)
	// Show is what the action shows: the job summary, annotations and
	// outputs. The adapter escapes, shortens and caps it.
	Show() Shown
}

// Shown is what one step shows in GitHub Actions.
type Shown struct {
	Title  string   // the summary line, after "tagguard COMMAND: "
	Notes  []string // lines under the title
	Tables []Table
	Footer []string // lines after the tables
	// Next is what to do next, in the workflow's own terms: the summary's
	// last line. "" when nothing is owed.
	Next        string
	Annotations []Annotation
	Outputs     []Output
}

// Level is how a row or an annotation reads: fine, worth a look, or bad.
type Level int

// The levels.
const (
	Good Level = iota
	Warning
	Bad
)

// Kind is how a column's cells are shown.
type Kind int

// The column kinds.
const (
	Text    Kind = iota // plain text
	Code                // a reference or a path: shown as code
	Digest              // a digest: shortened in the table, in full below it
	Verdict             // the row's verdict: marked by the row's level
)

// Column is a table column.
type Column struct {
	Name string
	Kind Kind
}

// Table is one table of the summary.
type Table struct {
	Columns []Column
	Rows    []Row
}

// Row is one row; Cells line up with the table's columns.
type Row struct {
	Level Level
	Cells []string
}

// Annotation is one ::error, ::warning or ::notice line.
type Annotation struct {
	Level   Level // Bad → error, Warning → warning, Good → notice
	Title   string
	Message string
}

// Output is one step output. A string value is written as it is; any other
// value is written as compact JSON.
type Output struct {
	Name  string
	Value any
}
