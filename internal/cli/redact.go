package cli

import (
	"io"
	"strings"
)

// safeWriter is what every report and message passes through on its way to
// stdout or stderr. It replaces secrets with *** (the last line of defence:
// secrets are kept out of messages in the first place, but a registry echoing
// a credential in an error body must not leak it), and it neutralises lines
// the Actions runner would read as workflow commands: text from outside
// (registry error bodies, release notes) must never issue ::set-output,
// ::add-mask or ::stop-commands. The runner trims leading space and then
// looks for "::", and the older syntax "##[", so such lines get a "| "
// prefix and "##[" is broken up.
type safeWriter struct {
	w       io.Writer
	replace *strings.Replacer
}

func newSafeWriter(w io.Writer, secrets []string) io.Writer {
	return &safeWriter{w: w, replace: masker(secrets)}
}

// masker replaces each secret with ***.
func masker(secrets []string) *strings.Replacer {
	var pairs []string
	for _, s := range secrets {
		if len(s) >= 4 { // shorter values would mangle ordinary text
			pairs = append(pairs, s, "***")
		}
	}
	return strings.NewReplacer(pairs...)
}

func (s *safeWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, neutralise(s.replace.Replace(string(p)))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// neutralise makes sure no line of text reads as a workflow command.
func neutralise(text string) string {
	if !strings.Contains(text, "::") && !strings.Contains(text, "##[") {
		return text
	}
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		l = strings.ReplaceAll(l, "##[", "# #[")
		if strings.HasPrefix(strings.TrimLeft(l, " \t\r"), "::") {
			l = "| " + l
		}
		lines[i] = l
	}
	return strings.Join(lines, "")
}
