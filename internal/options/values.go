package options

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Values holds the raw string value of every option a run was given or
// defaulted, keyed by name. Typed getters parse on read; Validate has already
// proved they parse.
type Values struct {
	raw   map[string]string
	set   map[string]bool
	from  map[string]string // the environment variable a value came from
	lines map[string]bool   // lists split on newlines alone (Option.Lines)
}

// NewValues starts from the defaults of opts.
func NewValues(opts []Option) *Values {
	v := &Values{raw: map[string]string{}, set: map[string]bool{}, from: map[string]string{}, lines: map[string]bool{}}
	for _, o := range opts {
		v.raw[o.Name] = o.Default
		v.lines[o.Name] = o.Lines
	}
	return v
}

// Set records a value given by the user.
func (v *Values) Set(name, value string) { v.raw[name], v.set[name] = value, true }

// Append adds to a list option, so a repeated flag collects every value.
func (v *Values) Append(name, value string) {
	if v.set[name] && v.raw[name] != "" {
		value = v.raw[name] + "\n" + value
	}
	v.Set(name, value)
}

// SetFromEnv records a value read from the environment variable env.
func (v *Values) SetFromEnv(name, value, env string) { v.Set(name, value); v.from[name] = env }

// FromEnv is the environment variable the option's value came from, or "".
func (v *Values) FromEnv(name string) string { return v.from[name] }

// IsSet reports whether the user gave the option (rather than its default).
func (v *Values) IsSet(name string) bool { return v.set[name] }

// String returns the raw value.
func (v *Values) String(name string) string { return strings.TrimSpace(v.raw[name]) }

// Bool returns a Bool option; Validate has checked it parses.
func (v *Values) Bool(name string) bool {
	b, _ := strconv.ParseBool(v.String(name))
	return b
}

// Int returns an Int option.
func (v *Values) Int(name string) int {
	n, _ := strconv.Atoi(v.String(name))
	return n
}

// Duration returns a Duration option.
func (v *Values) Duration(name string) time.Duration {
	d, _ := time.ParseDuration(v.String(name))
	return d
}

// List returns a List option split on newlines and commas, blanks dropped;
// one whose items may hold a comma (Option.Lines: --registry-auth,
// --signature-key) on newlines alone.
func (v *Values) List(name string) []string {
	if v.lines[name] {
		return SplitLines(v.raw[name])
	}
	return SplitList(v.raw[name])
}

// SplitLines splits on newlines only, trims, and drops empty items: for
// values (credentials) that may hold a comma.
func SplitLines(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Secrets returns the values of the options marked Secret, split into
// lines for list options: what must be masked before anything is printed.
func (v *Values) Secrets(opts []Option) []string {
	var out []string
	for _, o := range opts {
		if !o.Secret {
			continue
		}
		if o.Type == List {
			out = append(out, v.List(o.Name)...)
		} else if s := v.String(o.Name); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// SplitList splits on newlines and commas, trims, and drops empty items.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Validate checks that every value parses as its type, naming the option.
func (v *Values) Validate(opts []Option) error {
	for _, o := range opts {
		s := v.String(o.Name)
		if s == "" {
			continue
		}
		var err error
		var rangeErr string
		switch o.Type {
		case Bool:
			_, err = strconv.ParseBool(s)
		case Int:
			var n int
			if n, err = strconv.Atoi(s); err == nil && n < 1 {
				rangeErr = "must be at least 1"
			}
		case Duration:
			var d time.Duration
			if d, err = time.ParseDuration(s); err == nil && d <= 0 {
				rangeErr = "must be more than zero"
			}
		}
		if err != nil {
			return fmt.Errorf("--%s: %q is not a valid %s", o.Name, s, o.Type)
		}
		if rangeErr != "" {
			return fmt.Errorf("--%s: %q is out of range: %s", o.Name, s, rangeErr)
		}
	}
	return nil
}

func (t Type) String() string {
	switch t {
	case Bool:
		return "boolean (true or false)"
	case Int:
		return "whole number"
	case Duration:
		return "duration (e.g. 90s, 5m)"
	case List:
		return "list"
	default:
		return "string"
	}
}
