package cli

import (
	"io"
	"strings"
)

// redactor replaces every secret with *** on its way out. It is the last
// line of defence: secrets are kept out of messages in the first place, but a
// registry echoing a credential in an error body must not leak it either.
type redactor struct {
	w       io.Writer
	replace *strings.Replacer
}

func newRedactor(w io.Writer, secrets []string) io.Writer {
	var pairs []string
	for _, s := range secrets {
		if len(s) >= 4 { // shorter values would mangle ordinary text
			pairs = append(pairs, s, "***")
		}
	}
	if len(pairs) == 0 {
		return w
	}
	return &redactor{w: w, replace: strings.NewReplacer(pairs...)}
}

func (r *redactor) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, r.replace.Replace(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
