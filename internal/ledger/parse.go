package ledger

import (
	"encoding/json"
	"fmt"
	"time"
)

// Parse reads and validates a ledger. It refuses input larger than MaxSize,
// malformed JSON, trailing data, a field given twice, a missing or unknown
// schema, a newer schema major (asking to upgrade), and anything Validate
// refuses. Fields it does not know are ignored, so a newer minor version of
// the format still reads. The error wraps a *ValidationError.
func Parse(b []byte) (*Ledger, error) {
	l, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("parsing ledger: %w", err)
	}
	return l, nil
}

func parse(b []byte) (*Ledger, error) {
	if len(b) > MaxSize {
		return nil, invalid("document", "", "is %d bytes, more than the %d a ledger may be", len(b), MaxSize)
	}
	// The schema is read before any other field is interpreted: a newer
	// major may give a field another shape, and "upgrade tagguard" is the
	// useful answer then, not a type error.
	var (
		schema, created      *string
		rawSource, rawImages json.RawMessage
	)
	dec := newDecoder(b)
	err := dec.object("document", func(key string) error {
		var err error
		switch key {
		case "schema":
			schema, err = dec.optString(key)
		case "created":
			created, err = dec.optString(key)
		case "source":
			err = dec.raw(key, &rawSource)
		case "images":
			err = dec.raw(key, &rawImages)
		default:
			err = dec.skip("", key)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := dec.end(); err != nil {
		return nil, err
	}
	if schema == nil {
		return nil, checkSchema("")
	}
	if err := checkSchema(*schema); err != nil {
		return nil, err
	}

	l := &Ledger{Schema: *schema}
	if created != nil {
		t, err := time.Parse(time.RFC3339, *created)
		if err != nil {
			return nil, invalid("created", *created, "is not an RFC 3339 time, such as 2026-11-23T10:00:00Z")
		}
		l.Created = t.UTC()
	}
	if rawSource != nil {
		if l.Source, err = decodeSource(rawSource); err != nil {
			return nil, err
		}
	}
	if rawImages != nil {
		if l.Images, err = decodeImages(rawImages); err != nil {
			return nil, err
		}
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

func decodeSource(b []byte) (Source, error) {
	var s Source
	dec := newDecoder(b)
	err := dec.object("source", func(key string) error {
		field := "source." + key
		switch key {
		case "repository":
			return dec.str(field, &s.Repository)
		case "sha":
			return dec.str(field, &s.SHA)
		case "ref":
			return dec.str(field, &s.Ref)
		case "run":
			return dec.str(field, &s.Run)
		}
		return dec.skip("source", key)
	})
	return s, err
}

// decodeImages reads the images array one entry at a time and stops at the
// limits, so that a small hostile document ("[{},{},{},…]") cannot make
// Parse allocate many times its size.
func decodeImages(b []byte) ([]Image, error) {
	var images []Image
	dec := newDecoder(b)
	err := dec.array("images", MaxImages, func(i int) error {
		var im Image
		field := fmt.Sprintf("images[%d]", i)
		err := dec.object(field, func(key string) error {
			f := field + "." + key
			switch key {
			case "ref":
				return dec.str(f, &im.Ref)
			case "digest":
				return dec.str(f, &im.Digest)
			case "mediaType":
				return dec.str(f, &im.MediaType)
			case "recordedIn":
				return dec.str(f, &im.RecordedIn)
			case "attached":
				im.Attached = &Attached{}
				return dec.attached(f, im.Attached)
			case "platforms":
				return dec.array(f, MaxPlatforms, func(j int) error {
					var p Platform
					pf := fmt.Sprintf("%s[%d]", f, j)
					err := dec.object(pf, func(key string) error {
						switch key {
						case "platform":
							return dec.str(pf+"."+key, &p.Platform)
						case "digest":
							return dec.str(pf+"."+key, &p.Digest)
						case "attached":
							p.Attached = &Attached{}
							return dec.attached(pf+"."+key, p.Attached)
						}
						return dec.skip(pf, key)
					})
					im.Platforms = append(im.Platforms, p)
					return err
				})
			}
			return dec.skip(field, key)
		})
		images = append(images, im)
		return err
	})
	return images, err
}
