package app_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tagguard/tagguard/internal/audit"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/pin"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/restore"
)

// TestValidateLooksAtNoFile: Validate is pure, so it can run anywhere
// with no file system; where an output file would go is CheckOutput's,
// which NewPlan runs beside it, before the first request.
func TestValidateLooksAtNoFile(t *testing.T) {
	dir := t.TempDir()
	l := filepath.Join(dir, "ledger.json")
	if err := os.WriteFile(l, []byte(`{"schema":"tagguard.ledger/v1","images":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	nowhere := filepath.Join(dir, "missing", "out.json")
	for name, c := range map[string][2]error{
		"audit --drift-file":   {audit.Validate(audit.Options{FromLedgers: []string{l}, DriftFile: nowhere}), audit.CheckOutput(audit.Options{FromLedgers: []string{l}, DriftFile: nowhere})},
		"pin --output":         {pin.Validate(pin.Options{FromLedgers: []string{l}, Output: nowhere}), pin.CheckOutput(pin.Options{FromLedgers: []string{l}, Output: nowhere})},
		"restore --undo-file":  {restore.Validate(restore.Options{FromLedgers: []string{l}, UndoFile: nowhere}), restore.CheckOutput(restore.Options{FromLedgers: []string{l}, UndoFile: nowhere})},
		"record --ledger-file": {record.Validate(record.Options{Images: []string{"registry.test/org/app:1.0.0"}, ReleaseOptions: record.ReleaseOptions{LedgerFile: nowhere}}), record.CheckOutput(record.Options{ReleaseOptions: record.ReleaseOptions{LedgerFile: nowhere}})},
	} {
		if c[0] != nil {
			t.Errorf("%s: Validate looked at the file system: %v", name, c[0])
		}
		if errkind.Of(c[1]) != errkind.BadInput {
			t.Errorf("%s in a missing directory: %v, want bad input", name, c[1])
		}
	}
}
