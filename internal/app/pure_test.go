package app_test

import (
	"path/filepath"
	"testing"

	"github.com/tagguard/tagguard/internal/audit"
	"github.com/tagguard/tagguard/internal/check"
	"github.com/tagguard/tagguard/internal/command"
	"github.com/tagguard/tagguard/internal/errkind"
	"github.com/tagguard/tagguard/internal/pin"
	"github.com/tagguard/tagguard/internal/promote"
	"github.com/tagguard/tagguard/internal/record"
	"github.com/tagguard/tagguard/internal/restore"
)

// TestValidateLooksAtNoFile: every command's Validate is pure, so it
// runs anywhere with no file system: it reads no input file (the reader
// fails the test), and says nothing of where an output file would go,
// which is CheckOutput's, run by NewPlan beside it before the first
// request.
func TestValidateLooksAtNoFile(t *testing.T) {
	nowhere := filepath.Join(t.TempDir(), "missing")
	in, out := filepath.Join(nowhere, "ledger.json"), filepath.Join(nowhere, "out.json")
	run := command.Run{ReadFile: func(path string) ([]byte, error) {
		t.Errorf("Validate read %s", path)
		return nil, nil
	}}
	const ref = "registry.test/org/app:1.0.0"
	digest := "registry.test/org/app@sha256:" + "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	for name, err := range map[string]error{
		"audit":   audit.Validate(audit.Options{FromLedgers: []string{in}, DriftFile: out, Run: run}),
		"check":   check.Validate(check.Options{Images: []string{ref}, Run: run}),
		"pin":     pin.Validate(pin.Options{FromLedgers: []string{in}, Compose: []string{in}, Output: out, Run: run}),
		"promote": promote.Validate(promote.Options{Sources: []string{digest}, Images: []string{ref}, ReleaseOptions: record.ReleaseOptions{LedgerFile: out}, Run: run}),
		"record":  record.Validate(record.Options{Images: []string{ref}, ReleaseOptions: record.ReleaseOptions{LedgerFile: out}, Run: run}),
		"restore": restore.Validate(restore.Options{FromLedgers: []string{in}, UndoFile: out, Run: run}),
	} {
		if err != nil {
			t.Errorf("%s: Validate looked at the file system: %v", name, err)
		}
	}
	for name, err := range map[string]error{
		"audit --drift-file":   audit.CheckOutput(audit.Options{FromLedgers: []string{in}, DriftFile: out}),
		"pin --output":         pin.CheckOutput(pin.Options{FromLedgers: []string{in}, Output: out}),
		"record --ledger-file": record.CheckOutput(record.Options{ReleaseOptions: record.ReleaseOptions{LedgerFile: out}}),
		"restore --undo-file":  restore.CheckOutput(restore.Options{FromLedgers: []string{in}, UndoFile: out}),
	} {
		if errkind.Of(err) != errkind.BadInput {
			t.Errorf("%s in a missing directory: %v, want bad input", name, err)
		}
	}
}
