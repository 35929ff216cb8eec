// Package files is how tagguard reads and writes the files a user names:
// inputs (ledgers, compose files, reference lists, the event file) are read
// like network answers, bounded in size and within the run's context, and
// outputs (ledger, drift, undo and pin files) are written without ever
// replacing what a path is: a symlink is written through, a device or FIFO
// is written to, an input is never overwritten.
package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/tagguard/tagguard/internal/errkind"
)

// MaxSize bounds every file tagguard reads: ledgers and compose files of
// real projects are a few kilobytes (a 10,000-image ledger is about
// 2 MiB), so a larger one is a mistake or an attack, refused before it is
// read.
const MaxSize = 4 << 20

// chunk is how much is read between two looks at the context.
const chunk = 64 << 10

// Read returns the bytes of path, a regular file of at most max bytes,
// read within ctx. A FIFO, device, socket or directory is refused before a
// byte is read (a FIFO would block, /dev/zero never ends), and so is a
// file over max. "-" is not a path here: see ReadStdin.
//
// Errors about the file are bad input (exit 2); a read cut short by ctx is
// an interruption (exit 130) or, past --timeout, a failure (exit 3).
func Read(ctx context.Context, path string, max int64) ([]byte, error) {
	if err := Alive(ctx); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, errkind.New(errkind.BadInput, plain(err))
	}
	if err := regular(fi, max); err != nil {
		return nil, err
	}
	// O_NONBLOCK: if the path became a FIFO since the Stat, opening it
	// must not wait for a writer; the Stat of the open file refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, errkind.New(errkind.BadInput, plain(err))
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, errkind.New(errkind.BadInput, plain(err))
	}
	if err := regular(fi, max); err != nil {
		return nil, err
	}
	return readAll(ctx, f, max, fi.Size())
}

// ReadStdin reads standard input ("-" in place of a path), at most max
// bytes, within ctx: a pipe that never ends or never closes is cut off by
// the context, not waited for.
func ReadStdin(ctx context.Context, r io.Reader, max int64) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(r, max+1))
		done <- result{b, err}
	}()
	select {
	case <-ctx.Done():
		return nil, Alive(ctx)
	case res := <-done:
		if res.err != nil {
			return nil, errkind.New(errkind.BadInput, fmt.Errorf("reading standard input: %v", res.err))
		}
		if int64(len(res.b)) > max {
			return nil, errkind.BadInputf("standard input holds more than %s: refused", size(max))
		}
		return res.b, nil
	}
}

func regular(fi fs.FileInfo, max int64) error {
	switch m := fi.Mode(); {
	case m.IsDir():
		return errkind.BadInputf("is a directory, not a file")
	case m&fs.ModeNamedPipe != 0:
		return errkind.BadInputf("is a FIFO (named pipe), not a regular file: refused, a read of it could wait for ever; write the content to a file")
	case m&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return errkind.BadInputf("is a device, not a regular file: refused")
	case m&fs.ModeSocket != 0:
		return errkind.BadInputf("is a socket, not a regular file: refused")
	case !m.IsRegular():
		return errkind.BadInputf("is not a regular file: refused")
	case fi.Size() > max:
		return errkind.BadInputf("is %s, over the %s tagguard reads from a file: refused", size(fi.Size()), size(max))
	}
	return nil
}

func readAll(ctx context.Context, f *os.File, max, hint int64) ([]byte, error) {
	buf := make([]byte, 0, min(hint, max)+1)
	for {
		if err := Alive(ctx); err != nil {
			return nil, err
		}
		if int64(len(buf)) > max {
			return nil, errkind.BadInputf("grew past the %s tagguard reads from a file while it was read: refused", size(max))
		}
		n := min(chunk, int(max+1)-len(buf))
		if cap(buf)-len(buf) < n {
			buf = append(buf, make([]byte, n)...)[:len(buf)]
		}
		got, err := f.Read(buf[len(buf) : len(buf)+n])
		buf = buf[:len(buf)+got]
		if errors.Is(err, io.EOF) {
			if int64(len(buf)) > max {
				return nil, errkind.BadInputf("grew past the %s tagguard reads from a file while it was read: refused", size(max))
			}
			return buf, nil
		}
		if err != nil {
			return nil, errkind.New(errkind.BadInput, plain(err))
		}
	}
}

// Alive is nil while ctx goes on, else the error a run cut short returns:
// an interruption (SIGINT, SIGTERM: exit 130) or the end of --timeout
// (exit 3).
func Alive(ctx context.Context) error {
	switch err := ctx.Err(); {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return errkind.New(errkind.Interrupted, errors.New("interrupted while reading a file: nothing was written"))
	default:
		return errkind.New(errkind.Remote, fmt.Errorf("reading a file: %w", err))
	}
}

// Within runs fn, a parse that cannot look at ctx itself, and returns its
// error, or ctx's as soon as ctx ends: --timeout and SIGTERM end the run
// even inside a parser. fn keeps running until it returns; its result is
// then dropped, so fn must write nothing the caller reads after an early
// return.
func Within(ctx context.Context, fn func() error) error {
	if err := Alive(ctx); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return Alive(ctx)
	}
}

// plain is an error of the file system without Go's "open " prefix
// repeated by callers that name the file already.
func plain(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
