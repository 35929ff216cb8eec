package files

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tagguard/tagguard/internal/errkind"
)

func TestReadRefusesWhatIsNotARegularFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 1025), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string
	}{
		{fifo, "FIFO"},          // would block for ever waiting for a writer
		{"/dev/zero", "device"}, // never ends
		{dir, "directory"},      // not a file
		{big, "over the 1 KiB"}, // over the cap, refused before reading
		{filepath.Join(dir, "none"), "no such file"},
	} {
		done := make(chan struct{})
		var err error
		go func() {
			_, err = Read(context.Background(), tc.path, 1024)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Read(%s) still blocked after 5 s", tc.path)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Read(%s) = %v, want an error saying %q", tc.path, err, tc.want)
		}
		if errkind.Of(err) != errkind.BadInput {
			t.Errorf("Read(%s): kind %d, want bad input", tc.path, errkind.Of(err))
		}
	}
}

func TestReadWithinContext(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(context.Background(), path, 5); err != nil || string(b) != "hello" {
		t.Fatalf("Read = %q, %v", b, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, path, 5); errkind.Of(err) != errkind.Interrupted {
		t.Errorf("cancelled Read: %v (kind %d), want interrupted", err, errkind.Of(err))
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if _, err := Read(ctx, path, 5); errkind.Of(err) != errkind.Remote {
		t.Errorf("timed-out Read: %v (kind %d), want a failure (3)", err, errkind.Of(err))
	}
}

func TestReadStdinEndsWithTheContext(t *testing.T) {
	t.Parallel()
	r, w := io.Pipe() // a writer that never writes nor closes
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := ReadStdin(ctx, r, 10); errkind.Of(err) != errkind.Remote {
		t.Errorf("ReadStdin of a silent pipe: %v, want the timeout", err)
	}
	if _, err := ReadStdin(context.Background(), strings.NewReader(strings.Repeat("x", 11)), 10); errkind.Of(err) != errkind.BadInput {
		t.Errorf("ReadStdin over the cap: %v, want bad input", err)
	}
}

func TestWithinEndsAParseThatDoesNotLook(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	defer close(release)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	err := Within(ctx, func() error { <-release; return nil })
	if errkind.Of(err) != errkind.Interrupted {
		t.Errorf("Within = %v, want interrupted", err)
	}
}

func TestWriteNeverReplacesWhatAPathIs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()

	// A symlink is written through: the link stays, its target changes.
	target := filepath.Join(dir, "target.json")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Write(ctx, link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced: %v, %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("the link's target holds %q, want new", b)
	}

	// A dangling symlink is refused, not replaced by a file.
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := Write(ctx, dangling, []byte("x")); err == nil {
		t.Error("a dangling symlink was written")
	}
	if fi, _ := os.Lstat(dangling); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the dangling symlink was replaced")
	}

	// A FIFO with a reader is written to and stays a FIFO.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(ctx, fifo, []byte("x")); err == nil || !strings.Contains(err.Error(), "no process is reading") {
		t.Errorf("a FIFO with no reader: %v", err)
	}
	got := make(chan string)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	var err error
	for range 100 { // until the reader has opened its end
		if err = Write(ctx, fifo, []byte("through")); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through" {
		t.Errorf("the FIFO's reader got %q", s)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the FIFO was replaced by a file")
	}
}

func TestCheckOutputRefusesAnInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "ledger.json")
	if err := os.WriteFile(in, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "alias.json")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.json")
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{in, filepath.Join(dir, "sub", "..", "ledger.json"), link, hard} {
		if err := CheckOutput("--drift-file", out, in); err == nil || !strings.Contains(err.Error(), "which this run reads") {
			t.Errorf("CheckOutput(%s) = %v, want a refusal", out, err)
		}
	}
	if err := CheckOutput("--drift-file", filepath.Join(dir, "drift.json"), in); err != nil {
		t.Errorf("another file: %v", err)
	}
}

func TestParseYAMLRefusesWhatWouldBlowUp(t *testing.T) {
	t.Parallel()
	// A billion laughs: nine levels of nine aliases.
	var laughs strings.Builder
	laughs.WriteString("a: &a [x, x, x, x, x, x, x, x, x]\n")
	for i := 'b'; i <= 'j'; i++ {
		fmt.Fprintf(&laughs, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	var wide strings.Builder
	wide.WriteString("services:\n")
	for i := range maxMappingKeys + 1 {
		fmt.Fprintf(&wide, "  s%d: {image: x}\n", i)
	}
	var many strings.Builder
	for m := range 3 {
		fmt.Fprintf(&many, "m%d:\n", m)
		for i := range maxMappingKeys {
			fmt.Fprintf(&many, "  k%d: v\n", i)
		}
	}
	for name, tc := range map[string]struct{ doc, want string }{
		"many":     {many.String(), "too many keys between them"},
		"aliases":  {laughs.String(), "expands to over"},
		"keys":     {wide.String(), "keys, over the"},
		"deep":     {strings.Repeat("[", 200) + strings.Repeat("]", 200), "deep"},
		"not yaml": {"a: [", "did not find"},
	} {
		_, err := ParseYAML([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	n, err := ParseYAML([]byte("x-common: &c {restart: always}\nservices:\n  web: {<<: *c, image: nginx:1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct{ Image, Restart string }
	}
	if err := n.Decode(&doc); err != nil || doc.Services["web"].Restart != "always" {
		t.Errorf("a compose file with an anchor and a merge key: %+v, %v", doc, err)
	}
}
