package report

import (
	"io"
	"testing"
)

type headlined struct {
	Refusal
	h string
}

func (r *headlined) Headline() string          { return r.h }
func (r *headlined) SetHeadline(s string)      { r.h = s }
func (r *headlined) WriteText(io.Writer) error { return nil }
func (r *headlined) Blocking() bool            { return false }
func (r *headlined) Show() Shown               { return Shown{} }

// TestAgree: the headline's word always agrees with the exit code, for
// every code: "OK" never prints with exit 3 or 4.
func TestAgree(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code     int
		in, want string
	}{
		{0, "OK: 3 refs may be published", "OK: 3 refs may be published"},
		{3, "OK: 1 service pinned from ledger file l.json", "INCOMPLETE: 1 service pinned from ledger file l.json"},
		{4, "OK: an index of 2 sources written; the tags are written, but recording them failed", "PARTLY APPLIED: an index of 2 sources written; the tags are written, but recording them failed"},
		{1, "DRIFT: 3 recorded refs", "DRIFT: 3 recorded refs"},
		{1, "TAMPERED: 1 tampered release", "TAMPERED: 1 tampered release"},
		{3, "INCOMPLETE: 2 could not be read", "INCOMPLETE: 2 could not be read"},
		{130, "STOPPED: interrupted", "INTERRUPTED: interrupted"},
		{2, "nothing to do: registry.test/x:1", "BAD INPUT: nothing to do: registry.test/x:1"},
	} {
		r := &headlined{h: tc.in}
		Agree(r, tc.code)
		if r.h != tc.want {
			t.Errorf("exit %d, %q: got %q, want %q", tc.code, tc.in, r.h, tc.want)
		}
	}
}
