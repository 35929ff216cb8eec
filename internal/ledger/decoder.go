package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// decoder walks a JSON document token by token. Unlike json.Unmarshal it
// matches keys exactly (not case-insensitively), refuses a key given twice
// (two parsers could disagree on which one counts), and lets Parse enforce
// its limits while reading.
type decoder struct {
	*json.Decoder
}

func newDecoder(b []byte) decoder {
	return decoder{json.NewDecoder(bytes.NewReader(b))}
}

// syntax turns an encoding/json error into a ValidationError whose text is
// safe to print.
func syntax(field string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return invalid(field, "", "is not valid JSON: unexpected end of input")
	}
	return invalid(field, "", "is not valid JSON: %s", clean(err))
}

// object reads an object, or null which counts as empty, calling fn for each
// key with the decoder before the key's value; fn must consume that value.
func (d decoder) object(field string, fn func(key string) error) error {
	tok, err := d.Token()
	if err != nil {
		return syntax(field, err)
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('{') {
		return invalid(field, "", "must be a JSON object")
	}
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return syntax(field, err)
		}
		key, ok := tok.(string)
		if !ok {
			return invalid(field, "", "is not valid JSON: object key is not a string")
		}
		if seen[key] {
			return invalid(field, key, "is a key given twice")
		}
		seen[key] = true
		if err := fn(key); err != nil {
			return err
		}
	}
	if _, err := d.Token(); err != nil { // the closing brace
		return syntax(field, err)
	}
	return nil
}

// array reads an array of at most limit elements, or null, calling fn with
// the decoder before each element; fn must consume it.
func (d decoder) array(field string, limit int, fn func(i int) error) error {
	tok, err := d.Token()
	if err != nil {
		return syntax(field, err)
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('[') {
		return invalid(field, "", "must be a JSON array")
	}
	for i := 0; d.More(); i++ {
		if i == limit {
			return invalid(field, "", "holds more than the %d entries allowed", limit)
		}
		if err := fn(i); err != nil {
			return err
		}
	}
	if _, err := d.Token(); err != nil { // the closing bracket
		return syntax(field, err)
	}
	return nil
}

// str reads a string, or null which leaves *s empty.
func (d decoder) str(field string, s *string) error {
	p, err := d.optString(field)
	if err == nil && p != nil {
		*s = *p
	}
	return err
}

// optString reads a string, or null which gives nil.
func (d decoder) optString(field string) (*string, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, syntax(field, err)
	}
	switch v := tok.(type) {
	case nil:
		return nil, nil
	case string:
		return &v, nil
	}
	return nil, invalid(field, "", "must be a JSON string")
}

// raw keeps a value for later, when the schema is known.
func (d decoder) raw(field string, v *json.RawMessage) error {
	if err := d.Decode(v); err != nil {
		return syntax(field, err)
	}
	return nil
}

// skip consumes the value of a key this version does not know. The key is
// input, so it is quoted where it becomes part of a field name.
func (d decoder) skip(parent, key string) error {
	field := quote(key)
	if parent != "" {
		field = parent + "." + field
	}
	var v json.RawMessage
	return d.raw(field, &v)
}

// end makes sure nothing follows the document: a second document after the
// first would be ignored silently otherwise.
func (d decoder) end() error {
	if _, err := d.Token(); err != io.EOF {
		return invalid("document", "", "has data after the JSON object")
	}
	return nil
}

// attached reads an Attached object: three short lists of strings.
func (d decoder) attached(field string, a *Attached) error {
	return d.object(field, func(key string) error {
		f := field + "." + key
		list := map[string]*[]string{"signatures": &a.Signatures, "attestations": &a.Attestations, "sboms": &a.SBOMs}[key]
		if list == nil {
			return d.skip(field, key)
		}
		return d.array(f, maxAttachedPlaces, func(i int) error {
			var s string
			if err := d.str(fmt.Sprintf("%s[%d]", f, i), &s); err != nil {
				return err
			}
			*list = append(*list, s)
			return nil
		})
	})
}
