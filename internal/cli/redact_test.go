package cli

import (
	"bytes"
	"fmt"
	"testing"
)

func TestSafeWriter(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := newSafeWriter(&b, []string{"hunter22", "abc"})
	fmt.Fprint(w, "registry said: denied for hunter22\n  ::set-output name=blocked::false\n::add-mask::x\nok :: fine\n##[error]boom\nabc stays\n")
	want := "registry said: denied for ***\n|   ::set-output name=blocked::false\n| ::add-mask::x\nok :: fine\n# #[error]boom\nabc stays\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}
