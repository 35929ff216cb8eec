package files

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// CheckOutput says what is wrong with path as a file to write (flag names
// the option in the message), before any request: its directory must
// exist, it must not be a directory, and it must not be any of inputs, the
// files the same run reads, however either is spelled (symlinks, "..",
// hard links). Writing the drift ledger over the ledger it was audited
// from, or the undo over the ledger restored from, would lose the record.
func CheckOutput(flag, path string, inputs ...string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s %s: its directory does not exist", flag, path)
	}
	fi, err := os.Stat(path)
	if err == nil && fi.IsDir() {
		return fmt.Errorf("%s %s is a directory", flag, path)
	}
	if err == nil && fi.Mode()&fs.ModeSocket != 0 {
		return fmt.Errorf("%s %s is a socket: refused", flag, path)
	}
	if li, lerr := os.Lstat(path); lerr == nil && li.Mode()&fs.ModeSymlink != 0 && err != nil {
		return fmt.Errorf("%s %s is a symbolic link to a file that does not exist: refused (name the file itself)", flag, path)
	}
	if isStdout(path) {
		return fmt.Errorf("%s %s is this run's standard output, where its report goes: write to a file (pin writes to standard output without --output)", flag, path)
	}
	for _, in := range inputs {
		if in == "" || in == "-" {
			continue
		}
		if Same(path, in) {
			return fmt.Errorf("%s %s names %s, which this run reads: refused, the write would replace it (write to another file)", flag, path, in)
		}
	}
	return nil
}

// isStdout: path is this process's standard output, however named.
func isStdout(path string) bool {
	a, err := os.Stat(path)
	if err != nil {
		return false
	}
	b, err := os.Stdout.Stat()
	return err == nil && os.SameFile(a, b)
}

// Same reports whether a and b name one file: the same path once both are
// absolute, clean and free of symlinks, or (for existing files) the same
// inode.
func Same(a, b string) bool {
	if resolve(a) == resolve(b) {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// resolve is path absolute and clean, with the symlinks of its longest
// existing prefix resolved (a file not yet written has no link to follow,
// but its directory may).
func resolve(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	dir, base := filepath.Split(abs)
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		return filepath.Join(r, base)
	}
	return abs
}

// Write puts data at path whole, so a reader (or an artifact upload) never
// sees half a file, and never replaces what the path is:
//   - a regular file, or nothing yet: a temporary file in the same
//     directory renamed over it;
//   - a symlink: the same, where the link points (the link stays a link);
//   - a character device or a FIFO (/dev/stdout, a pipe to another
//     process): written to as it is, a FIFO only while a reader holds it
//     open, and no longer than ctx allows;
//   - anything else (a socket, a dangling link): refused.
func Write(ctx context.Context, path string, data []byte) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if li, lerr := os.Lstat(path); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symbolic link to a file that does not exist: refused", path)
		}
		return replace(path, data)
	case err != nil:
		return err
	case fi.Mode().IsRegular():
		if throughProc(path) {
			// /dev/stdout or /proc/self/fd/N redirected to a file: the
			// file another process already holds open gets the bytes, after
			// what it holds; a rename would hand that process an unlinked
			// file.
			return writeThrough(ctx, path, data, os.O_APPEND)
		}
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return err
		}
		return replace(real, data)
	case fi.Mode()&(fs.ModeCharDevice|fs.ModeNamedPipe) != 0:
		return writeThrough(ctx, path, data, 0)
	case fi.IsDir():
		return fmt.Errorf("%s is a directory", path)
	}
	return fmt.Errorf("%s is neither a regular file, a character device nor a FIFO: refused", path)
}

// throughProc: path is or leads through a process's file descriptors.
func throughProc(path string) bool {
	clean := filepath.Clean(path)
	for _, p := range []string{"/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/"} {
		if clean == strings.TrimSuffix(p, "/") || strings.HasPrefix(clean, p) {
			return true
		}
	}
	return false
}

func replace(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tagguard-*")
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

// writeThrough writes to path as it is. O_NONBLOCK makes opening a FIFO
// with no reader fail at once (ENXIO) rather than wait; Go's poller then
// parks the writes, so ctx's deadline bounds them.
func writeThrough(ctx context.Context, path string, data []byte, flag int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK|flag, 0)
	if errors.Is(err, syscall.ENXIO) {
		return fmt.Errorf("%s is a FIFO that no process is reading: nothing written", path)
	}
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = f.SetWriteDeadline(time.Now()) })
	defer stop()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("writing %s: %w", path, ctx.Err())
		}
		return werr
	}
	return cerr
}
