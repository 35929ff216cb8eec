package ledger

import (
	"fmt"
	"os"
	"path/filepath"
)

// CheckFile says what is wrong with path as a ledger file to write
// (--ledger-file, --drift-file, --undo-file), before any request: its
// directory must exist and it must not be a directory. flag names the
// option in the message.
func CheckFile(flag, path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s %s: its directory does not exist", flag, path)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s %s is a directory", flag, path)
	}
	return nil
}

// WriteFile writes via a temporary file and a rename, so a reader (or
// an artifact upload) never sees half a ledger.
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tagguard-ledger-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
