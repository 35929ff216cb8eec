package report

import "fmt"

// Refusal is the one carrier of a command's "no": a plan that refuses to
// write, or an apply that stopped short on purpose, says why in its report,
// never as an error. An error is a failure (the exit code is its kind); a
// refusal is exit 1 (Blocks). Every command's report embeds one, so the
// Report interface holds; check and audit, which write nothing a refusal
// would stop, never use it.
//
// A report's "no" is Blocking when its rows say it all (a guard's verdict
// per ref, audit's drift); it is also a Refusal when there is a reason to
// say on its own line, where an error would be said (the CLI's stderr,
// the action's error annotation): a tampered ledger, a pre-flight, the
// signature gate and its fix, a sealed release.
type Refusal struct{ why string }

// Refuse records why the command refused; the first reason stands, as the
// first refusal is the one that stopped the run.
func (r *Refusal) Refuse(format string, a ...any) {
	if r.why == "" {
		r.why = fmt.Sprintf(format, a...)
	}
}

// Refused is why the command refused, "" when it did not. The CLI prints it
// where it prints an error, and the action annotates it.
func (r *Refusal) Refused() string { return r.why }

// Blocks reports whether the run ends in exit 1 with nothing (more)
// written: a guard blocked, or the command refused.
func Blocks(r Report) bool { return r.Blocking() || r.Refused() != "" }
