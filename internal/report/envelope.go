package report

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Schema names the shape of the JSON report.
const Schema = "tagguard.report/v1"

// Envelope is the one JSON document every command prints with --format
// json, and the action's report output: the same top level for every
// command, its own fields in Body, and its outputs as JSON values (a
// ledger is an object, blocked a boolean), never JSON inside strings.
type Envelope struct {
	Schema   string         `json:"schema"`
	Command  string         `json:"command"`
	Verdict  string         `json:"verdict"`
	ExitCode int            `json:"exitCode"`
	Summary  string         `json:"summary"`
	Body     Report         `json:"body"`
	Outputs  map[string]any `json:"outputs"`
}

// NewEnvelope wraps rep, which ended with exit code code.
func NewEnvelope(command string, rep Report, code int) Envelope {
	emptyLists(rep)
	e := Envelope{Schema: Schema, Command: command, ExitCode: code, Summary: rep.Headline(), Body: rep, Outputs: map[string]any{}}
	e.Verdict = VerdictOf(code, e.Summary)
	for _, o := range rep.Show().Outputs {
		e.Outputs[o.Name] = jsonValue(o.Value)
	}
	// Exit 1 is a refusal, whatever refused: a workflow gating on the
	// blocked output must never read false then. The one place this is
	// decided; the action's outputs are the envelope's.
	if _, ok := e.Outputs["blocked"]; ok && code == 1 {
		e.Outputs["blocked"] = true
	}
	return e
}

// verdicts are the headline words each exit code may carry, its default
// first.
var verdicts = map[int][]string{
	0:   {"ok", "dry-run"},
	1:   {"blocked", "drift", "tampered"},
	2:   {"bad-input", "stopped", "failed"},
	3:   {"incomplete", "failed", "stopped"},
	4:   {"partly-applied"},
	130: {"interrupted"},
}

// VerdictOf is the envelope's verdict: the headline's first word (OK, DRY
// RUN, BLOCKED, DRIFT, …) when it is one the exit code may carry, else the
// exit code's own word. It is never at odds with the exit code.
func VerdictOf(code int, headline string) string {
	head, _, _ := strings.Cut(headline, ":")
	head = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(head), " ", "-"))
	allowed := verdicts[code]
	if len(allowed) == 0 {
		return "interrupted"
	}
	for _, v := range allowed {
		if strings.HasPrefix(head, v) {
			return v
		}
	}
	return allowed[0]
}

// Agree gives r's headline a word its exit code may carry: a run that ends
// in exit 3 or 4 after a part of it went well (the tags written, the
// ledger file not) must not print "OK". A headline already in agreement
// is left as it is.
func Agree(r Report, code int) {
	h := r.Headline()
	head, rest, hasColon := strings.Cut(h, ":")
	word := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(head), " ", "-"))
	allowed := verdicts[code]
	if len(allowed) == 0 {
		allowed = []string{"interrupted"}
	}
	for _, v := range allowed {
		if strings.HasPrefix(word, v) {
			return
		}
	}
	verdict := strings.ToUpper(strings.ReplaceAll(allowed[0], "-", " "))
	if !hasColon {
		rest = " " + h
	} else if !isWord(head) {
		rest = " " + h // the first colon was not after a verdict word
	}
	r.SetHeadline(verdict + ":" + rest)
}

// isWord: s is a headline's verdict word (OK, DRY RUN, PARTLY APPLIED).
func isWord(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && strings.ToUpper(s) == s && !strings.ContainsAny(s, "./@")
}

// emptyLists gives every list field of a report's body that is nil an
// empty list: every documented field is present, and a list is a list (a
// consumer's for loop over body.problems must not meet null).
func emptyLists(rep Report) {
	v := reflect.ValueOf(rep)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	s := v.Elem()
	for i := range s.NumField() {
		f := s.Field(i)
		if f.Kind() == reflect.Slice && f.IsNil() && f.CanSet() {
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
		}
	}
}

// jsonValue is an output as a JSON value: the booleans and the JSON
// documents (ledgers, lists) a step output must carry as strings are
// decoded; anything else stays as it is.
func jsonValue(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	switch t := strings.TrimSpace(s); {
	case t == "true" || t == "false":
		return t == "true"
	case (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)):
		return json.RawMessage(t)
	}
	return s
}

// Write writes rep as text, or as its JSON envelope: the same document as
// the action's report output.
func Write(w io.Writer, format, command string, rep Report, code int) error {
	if format == "json" {
		return writeEnvelope(w, NewEnvelope(command, rep, code))
	}
	return rep.WriteText(w)
}

func writeEnvelope(w io.Writer, e Envelope) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Failure is the envelope of a run that ended before it had a report (bad
// input, a failure before the plan): the same top level, so `jq .verdict`
// always has something to read; Body is null, Outputs empty.
func Failure(command string, code int, err error) Envelope {
	word := "INTERRUPTED"
	if allowed := verdicts[code]; len(allowed) > 0 {
		word = strings.ToUpper(strings.ReplaceAll(allowed[0], "-", " "))
	}
	e := Envelope{Schema: Schema, Command: command, ExitCode: code, Summary: word + ": " + OneLine(err.Error()), Outputs: map[string]any{}}
	e.Verdict = VerdictOf(code, e.Summary)
	return e
}

// WriteFailure writes Failure as JSON.
func WriteFailure(w io.Writer, command string, code int, err error) error {
	return writeEnvelope(w, Failure(command, code, err))
}
