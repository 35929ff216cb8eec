package docs

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tagguard/tagguard/internal/audit"
	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/ledger"
	"github.com/tagguard/tagguard/internal/pin"
	"github.com/tagguard/tagguard/internal/promote"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/report"
	"github.com/tagguard/tagguard/internal/restore"
)

// jsonFields lists the JSON names of a struct's top-level fields.
func jsonFields(v any) []string {
	var out []string
	t := reflect.TypeOf(v).Elem()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		out = append(out, name)
	}
	return out
}

// TestDocsDescribeTheJSONReport holds docs/json-report.md to the code:
// the envelope's fields, and per command the body's top-level fields and
// the outputs.
func TestDocsDescribeTheJSONReport(t *testing.T) {
	b, err := os.ReadFile("../../docs/json-report.md")
	if err != nil {
		t.Fatal(err)
	}
	sec := string(b)
	for _, f := range jsonFields(&report.Envelope{}) {
		if !strings.Contains(sec, "| `"+f+"` |") {
			t.Errorf("the envelope's field %s is not described", f)
		}
	}
	for cmd, rep := range map[string]report.Report{
		"check": &check.Report{}, "promote": &promote.Report{}, "record": &record.Report{},
		"restore": &restore.Report{}, "audit": &audit.Report{Drift: &ledger.Ledger{}}, "pin": &pin.Report{Verify: true},
	} {
		var row string
		for _, l := range strings.Split(sec, "\n") {
			if strings.HasPrefix(l, "| `"+cmd+"` |") {
				row = l
			}
		}
		cells := strings.Split(row, "|")
		if len(cells) < 5 {
			t.Errorf("no body row for %s", cmd)
			continue
		}
		if got, want := names(cells[2]), jsonFields(rep); !slices.Equal(got, want) {
			t.Errorf("%s body: docs/json-report.md lists %v, the code has %v", cmd, got, want)
		}
		env := report.NewEnvelope(cmd, rep, 0)
		var outs []string
		for k := range env.Outputs {
			outs = append(outs, k)
		}
		slices.Sort(outs)
		got := names(cells[3])
		slices.Sort(got)
		if !slices.Equal(got, outs) {
			t.Errorf("%s outputs: docs/json-report.md lists %v, the code has %v", cmd, got, outs)
		}
		if _, err := json.Marshal(env); err != nil {
			t.Errorf("%s: %v", cmd, err)
		}
	}
}

// names reads `a`, `b` from a table cell.
func names(cell string) []string {
	var out []string
	for _, f := range strings.Split(cell, ",") {
		if f = strings.Trim(strings.TrimSpace(f), "`"); f != "" {
			out = append(out, f)
		}
	}
	return out
}
