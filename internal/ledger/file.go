package ledger

import (
	"context"

	"github.com/tagguard/tagguard/internal/files"
)

// CheckFile says what is wrong with path as a ledger file to write
// (--ledger-file, --drift-file, --undo-file), before any request: its
// directory must exist, it must not be a directory, and it must not be any
// of inputs, the files the same run reads. flag names the option in the
// message.
func CheckFile(flag, path string, inputs ...string) error {
	return files.CheckOutput(flag, path, inputs...)
}

// WriteFile writes data whole at path without replacing what the path is
// (files.Write): a reader or an artifact upload never sees half a ledger,
// and a symlink, device or FIFO stays one.
func WriteFile(ctx context.Context, path string, data []byte) error {
	return files.Write(ctx, path, data)
}
