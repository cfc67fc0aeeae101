package peoplehr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// nestedObjects are the nested record objects whose fields the engine may
// map; each field becomes "<Object>.<Field>". Every other nested object that
// is not a wrapped value is dropped.
var nestedObjects = map[string]bool{
	"ContactDetail":    true,
	"EmploymentDetail": true,
}

// bankDetail is skipped in every record, in any letter case and shape: the
// service must never read, store or log bank data.
const bankDetail = "BankDetail"

// envelope is what the response said about itself, read in any key order.
type envelope struct {
	isError    bool
	hasIsError bool
	status     int
	hasStatus  bool
	message    string
	// oddResult is set when Result, or an element of it, was neither an
	// object nor null: harmless on an error answer, suspect on a success.
	oddResult bool
}

// shapeError is well-formed JSON that is not what PeopleHR sends. Unlike a
// syntax error it is not a cut-off body, so retrying would not help.
type shapeError struct{ what string }

func (e *shapeError) Error() string { return "unexpected response: " + e.what }

// recordError is the record func's own error; it stops the fetch and is
// returned to the caller as is.
type recordError struct {
	index int
	err   error
}

func (e *recordError) Error() string {
	return fmt.Sprintf("peoplehr: handling employee record %d: %v", e.index, e.err)
}

func (e *recordError) Unwrap() error { return e.err }

// decoder walks a response token by token so that only the record being
// built is ever held in memory.
type decoder struct {
	dec     *json.Decoder
	deliver func(map[string]string) error
	n       int // records delivered so far
}

// decodeResponse reads one PeopleHR response, handing each record of Result
// to deliver as soon as it is complete. It returns the envelope and the
// number of records delivered, which may be non-zero even on error.
func decodeResponse(r io.Reader, deliver func(map[string]string) error) (envelope, int, error) {
	d := &decoder{dec: json.NewDecoder(r), deliver: deliver}
	// Numbers keep the text PeopleHR sent instead of going through float64.
	d.dec.UseNumber()
	env, err := d.envelope()
	return env, d.n, err
}

// token reads the next token. The response is complete only once the
// envelope's closing brace is read, so an end of input is always a cut-off.
func (d *decoder) token() (json.Token, error) {
	tok, err := d.dec.Token()
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return tok, err
}

// object walks the members of an object whose opening brace was consumed,
// handing fn each key with the first token of its value, then consumes the
// closing brace. fn must consume the rest of the value.
func (d *decoder) object(fn func(key string, tok json.Token) error) error {
	for d.dec.More() {
		tok, err := d.token()
		if err != nil {
			return err
		}
		// json.Decoder only yields strings in key position.
		key, _ := tok.(string)
		if tok, err = d.token(); err != nil {
			return err
		}
		if err := fn(key, tok); err != nil {
			return err
		}
	}
	return d.end()
}

// end consumes the closing delimiter of the object or array being read,
// once More has reported no further element.
func (d *decoder) end() error {
	_, err := d.token()
	return err
}

func (d *decoder) envelope() (envelope, error) {
	var env envelope
	tok, err := d.token()
	if err != nil {
		return env, err
	}
	if tok != json.Delim('{') {
		if err := d.skip(tok); err != nil {
			return env, err
		}
		return env, &shapeError{"the body is not a JSON object"}
	}
	err = d.object(func(key string, tok json.Token) error {
		switch strings.ToLower(key) {
		case "iserror":
			return d.envelopeField(key, tok, func(text string) error {
				v, err := strconv.ParseBool(strings.TrimSpace(text))
				env.isError, env.hasIsError = v, true
				return err
			})
		case "status":
			return d.envelopeField(key, tok, func(text string) error {
				v, err := strconv.Atoi(strings.TrimSpace(text))
				env.status, env.hasStatus = v, true
				return err
			})
		case "message":
			return d.envelopeField(key, tok, func(text string) error {
				env.message = text
				return nil
			})
		case "result":
			return d.result(&env, tok)
		default:
			return d.skip(tok)
		}
	})
	return env, err
}

// envelopeField reads a scalar envelope field that starts with tok and
// hands its text to set; null counts as absent.
func (d *decoder) envelopeField(key string, tok json.Token, set func(text string) error) error {
	if tok == nil {
		return nil
	}
	text, ok, err := d.scalar(tok)
	if err != nil {
		return err
	}
	if !ok {
		return &shapeError{key + " is not a single value"}
	}
	if err := set(text); err != nil {
		return &shapeError{fmt.Sprintf("%s %q: %v", key, text, err)}
	}
	return nil
}

// result delivers the records of Result, whose first token is tok: an
// array of records, or a single record object, where an empty object means
// none.
func (d *decoder) result(env *envelope, tok json.Token) error {
	switch tok {
	case nil:
		return nil
	case json.Delim('{'):
		return d.emit(false)
	case json.Delim('['):
		for d.dec.More() {
			tok, err := d.token()
			if err != nil {
				return err
			}
			switch tok {
			case nil:
			case json.Delim('{'):
				err = d.emit(true)
			default:
				env.oddResult = true
				err = d.skip(tok)
			}
			if err != nil {
				return err
			}
		}
		return d.end()
	default:
		env.oddResult = true
		return d.skip(tok)
	}
}

// emit reads one record whose opening brace was consumed and delivers it.
// An empty array element is still a record (the engine reports it as
// invalid); an empty single object is PeopleHR's way of saying "none".
func (d *decoder) emit(emptyIsRecord bool) error {
	rec, err := d.record()
	if err != nil {
		return err
	}
	if len(rec) == 0 && !emptyIsRecord {
		return nil
	}
	d.n++
	if err := d.deliver(rec); err != nil {
		return &recordError{index: d.n, err: err}
	}
	return nil
}

// record flattens one employee object whose opening brace was consumed.
// Fields of the nested objects the engine may map become
// "<Object>.<Field>".
func (d *decoder) record() (map[string]string, error) {
	rec := make(map[string]string)
	err := d.object(func(key string, tok json.Token) error {
		switch {
		case strings.EqualFold(key, bankDetail):
			return d.skip(tok)
		case tok == json.Delim('{') && nestedObjects[key]:
			return d.object(func(inner string, tok json.Token) error {
				return d.field(key+"."+inner, tok, rec)
			})
		default:
			return d.field(key, tok, rec)
		}
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// field stores a plain or wrapped value that starts with tok under name.
// Anything else (arrays, objects without DisplayValue) is skipped.
func (d *decoder) field(name string, tok json.Token, rec map[string]string) error {
	var (
		text string
		ok   bool
		err  error
	)
	if tok == json.Delim('{') {
		text, ok, err = d.wrapped()
	} else {
		text, ok, err = d.scalar(tok)
	}
	if ok {
		rec[name] = text
	}
	return err
}

// wrapped reads {"DisplayValue": ..., <history>: [...]} whose opening brace
// was consumed. The history key differs from field to field and between
// payload versions, so every key but DisplayValue is skipped.
func (d *decoder) wrapped() (text string, ok bool, err error) {
	err = d.object(func(key string, tok json.Token) error {
		if !strings.EqualFold(key, "DisplayValue") {
			return d.skip(tok)
		}
		var err error
		text, ok, err = d.scalar(tok)
		return err
	})
	return text, ok, err
}

// scalar returns the text of a scalar token. An array or object is skipped
// and reported as not a value.
func (d *decoder) scalar(tok json.Token) (string, bool, error) {
	switch v := tok.(type) {
	case json.Delim:
		return "", false, d.skip(tok)
	case string:
		return v, true, nil
	case json.Number:
		return v.String(), true, nil
	case bool:
		return strconv.FormatBool(v), true, nil
	default: // null
		return "", true, nil
	}
}

// skip discards the value that starts with tok. Containers are walked token
// by token with a depth count, so no part of them is kept and deep nesting
// costs no stack.
func (d *decoder) skip(tok json.Token) error {
	if tok != json.Delim('{') && tok != json.Delim('[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := d.token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}
