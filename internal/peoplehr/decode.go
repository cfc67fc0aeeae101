package peoplehr

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// nestedObjects are the nested record objects whose fields the engine may
// map; each field becomes "<Object>.<Field>". Every other nested object that
// is not a wrapped value is dropped.
var nestedObjects = map[string]bool{
	"ContactDetail":    true,
	"EmploymentDetail": true,
}

// withheld reports whether a record field is one the service never reads
// (engine.Withheld: bank details, national identifiers, salary,
// right-to-work data, in any letter case and shape): its value is skipped
// unread and it never reaches a record. A directory repeats the same few
// dozen names in every record, so each name is classified once; the memo
// is bounded so that a server sending ever new names cannot grow it.
func (d *decoder) withheld(name string) bool {
	if w, ok := d.withheldNames[name]; ok {
		return w
	}
	w := engine.Withheld(name) != ""
	if len(d.withheldNames) < maxWithheldMemo {
		d.withheldNames[name] = w
	}
	return w
}

// maxWithheldMemo is far more names than a PeopleHR record has.
const maxWithheldMemo = 1024

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

// malformedError is a complete body that is not what PeopleHR sends: not
// JSON at all (an HTML page), JSON with a syntax error, or JSON of the
// wrong shape. Unlike a cut-off body it would come back the same on a
// retry. what says which, never quoting the body.
type malformedError struct{ what string }

func (e *malformedError) Error() string { return e.what }

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
// built is ever held in memory. It reads with jsontext, the tokenizer of
// encoding/json/v2: encoding/json's Decoder.Token costs an allocation or
// more per token and made decoding most of an import's CPU time (see
// BENCHMARKS.md). Duplicate names and invalid UTF-8 are accepted as
// encoding/json accepts them (the last name wins; bad bytes become U+FFFD).
type decoder struct {
	dec     *jsontext.Decoder
	deliver func(map[string]string) error
	n       int // records delivered so far

	withheldNames map[string]bool
}

// decodeResponse reads one PeopleHR response, handing each record of Result
// to deliver as soon as it is complete. It returns the envelope and the
// number of records delivered, which may be non-zero even on error.
func decodeResponse(r io.Reader, deliver func(map[string]string) error) (envelope, int, error) {
	d := &decoder{
		dec:           jsontext.NewDecoder(&skipBOM{r: r}, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)),
		deliver:       deliver,
		withheldNames: map[string]bool{},
	}
	env, err := d.envelope()
	return env, d.n, err
}

// utf8BOM is the byte-order mark some servers write before a UTF-8 body.
// JSON forbids it and jsontext rejects it as an invalid character, but
// the rest of such a body is a good answer.
const utf8BOM = "\uFEFF"

// skipBOM reads r without the byte-order mark it may start with, so that
// the body still streams: only the first three bytes are held back.
type skipBOM struct {
	r       io.Reader
	started bool
	buf     [len(utf8BOM)]byte
	head    []byte // bytes read while looking for the mark, still to return
	err     error  // what ended that read, returned once head is drained
}

func (s *skipBOM) Read(p []byte) (int, error) {
	if !s.started {
		s.started = true
		// Not io.ReadFull: it would turn a short body's io.EOF into
		// io.ErrUnexpectedEOF, which the decoder must only see when the
		// transport says so.
		n := 0
		for n < len(s.buf) && s.err == nil {
			var m int
			m, s.err = s.r.Read(s.buf[n:])
			n += m
		}
		if string(s.buf[:n]) == utf8BOM {
			n = 0
		}
		s.head = s.buf[:n]
	}
	if len(s.head) > 0 {
		n := copy(p, s.head)
		s.head = s.head[n:]
		return n, nil
	}
	if s.err != nil {
		return 0, s.err
	}
	return s.r.Read(p)
}

// readErr sorts what jsontext reported into a cut-off body, to be retried,
// and a malformed one, not to be. The response is complete only once the
// envelope's closing brace is read, so any end of input is a cut-off:
// jsontext reports one before the first value as io.EOF and one inside a
// value as a *jsontext.SyntacticError wrapping io.ErrUnexpectedEOF. A
// failed read of the body comes back as that read's error, wrapped, never
// as a SyntacticError; any other SyntacticError is a complete body that
// is not JSON.
func (d *decoder) readErr(err error) error {
	var syntax *jsontext.SyntacticError
	switch {
	case errors.Is(err, io.EOF):
		return io.ErrUnexpectedEOF
	case !errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF):
		return err
	case d.dec.StackDepth() == 0:
		return &malformedError{"the body is not JSON"}
	}
	return &malformedError{fmt.Sprintf("invalid JSON at byte %d", syntax.ByteOffset)}
}

// read reads the next token. A string token's text is valid only until
// the next read: call String on it first.
func (d *decoder) read() (jsontext.Token, error) {
	tok, err := d.dec.ReadToken()
	return tok, d.readErr(err)
}

// peek is the kind of the next token without reading it: '{', '[', '"',
// '0' (a number), 't', 'f', 'n', or '}' and ']' at the end of a container.
// It is 0 on an error, which the next read returns.
func (d *decoder) peek() jsontext.Kind { return d.dec.PeekKind() }

// skip discards the next value whole, without building any of it: deep
// nesting costs no stack and skipped values (BankDetail, NISNumber) are
// never decoded.
func (d *decoder) skip() error { return d.readErr(d.dec.SkipValue()) }

// object walks the members of an object whose opening brace was read,
// handing fn each member's name token, then reads the closing brace. fn
// must read the member's value, and take the name's text before it reads.
func (d *decoder) object(fn func(name jsontext.Token) error) error {
	for {
		switch d.peek() {
		case '}', 0: // the end, or the error the read returns
			_, err := d.read()
			return err
		}
		name, err := d.read()
		if err != nil {
			return err
		}
		if err := fn(name); err != nil {
			return err
		}
	}
}

func (d *decoder) envelope() (envelope, error) {
	var env envelope
	switch d.peek() {
	case '{':
	case 0:
		_, err := d.read()
		return env, err
	default:
		if err := d.skip(); err != nil {
			return env, err
		}
		return env, &malformedError{"the body is not a JSON object"}
	}
	if _, err := d.read(); err != nil {
		return env, err
	}
	err := d.object(func(name jsontext.Token) error {
		key := name.String()
		switch strings.ToLower(key) {
		case "iserror":
			return d.envelopeField(key, func(text string) error {
				v, err := strconv.ParseBool(strings.TrimSpace(text))
				env.isError, env.hasIsError = v, true
				return err
			})
		case "status":
			return d.envelopeField(key, func(text string) error {
				v, err := strconv.Atoi(strings.TrimSpace(text))
				env.status, env.hasStatus = v, true
				return err
			})
		case "message":
			return d.envelopeField(key, func(text string) error {
				env.message = text
				return nil
			})
		case "result":
			return d.result(&env)
		default:
			return d.skip()
		}
	})
	return env, err
}

// envelopeField reads a scalar envelope field and hands its text to set;
// null counts as absent.
func (d *decoder) envelopeField(key string, set func(text string) error) error {
	if d.peek() == 'n' {
		_, err := d.read()
		return err
	}
	text, ok, err := d.scalar()
	if err != nil {
		return err
	}
	if !ok {
		return &malformedError{key + " is not a single value"}
	}
	if err := set(text); err != nil {
		// The value is the server's: bounded like its messages, and never
		// long enough to carry a record.
		return &malformedError{fmt.Sprintf("%s %q is not valid", key, sanitize(text, ""))}
	}
	return nil
}

// result delivers the records of Result: an array of records, or a single
// record object, where an empty object means none.
func (d *decoder) result(env *envelope) error {
	switch d.peek() {
	case 'n':
		_, err := d.read()
		return err
	case '{':
		if _, err := d.read(); err != nil {
			return err
		}
		return d.emit(false)
	case '[':
	default:
		env.oddResult = true
		return d.skip()
	}
	if _, err := d.read(); err != nil {
		return err
	}
	for {
		var err error
		switch d.peek() {
		case ']', 0:
			_, err = d.read()
			return err
		case 'n':
			_, err = d.read()
		case '{':
			if _, err = d.read(); err == nil {
				err = d.emit(true)
			}
		default:
			env.oddResult = true
			err = d.skip()
		}
		if err != nil {
			return err
		}
	}
}

// emit reads one record whose opening brace was read and delivers it.
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

// record flattens one employee object whose opening brace was read.
// Fields of the nested objects the engine may map become
// "<Object>.<Field>".
func (d *decoder) record() (map[string]string, error) {
	rec := make(map[string]string)
	err := d.object(func(name jsontext.Token) error {
		key := name.String()
		switch {
		case d.withheld(key):
			return d.skip()
		case nestedObjects[key] && d.peek() == '{':
			if _, err := d.read(); err != nil {
				return err
			}
			return d.object(func(inner jsontext.Token) error {
				if path := key + "." + inner.String(); !d.withheld(path) {
					return d.field(path, rec)
				}
				return d.skip()
			})
		default:
			return d.field(key, rec)
		}
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// field stores a plain or wrapped value under name. Anything else (arrays,
// objects without DisplayValue) is skipped.
func (d *decoder) field(name string, rec map[string]string) error {
	var (
		text string
		ok   bool
		err  error
	)
	if d.peek() == '{' {
		text, ok, err = d.wrapped()
	} else {
		text, ok, err = d.scalar()
	}
	if ok {
		rec[name] = text
	}
	return err
}

// wrapped reads {"DisplayValue": ..., <history>: [...]}. The history key
// differs from field to field and between payload versions, so every key
// but DisplayValue is skipped.
func (d *decoder) wrapped() (text string, ok bool, err error) {
	if _, err := d.read(); err != nil {
		return "", false, err
	}
	err = d.object(func(name jsontext.Token) error {
		if !strings.EqualFold(name.String(), "DisplayValue") {
			return d.skip()
		}
		var err error
		text, ok, err = d.scalar()
		return err
	})
	return text, ok, err
}

// scalar reads a value and returns its text: a string's, a number's as
// sent, "true" or "false", and "" for null. An array or object is skipped
// and reported as not a value.
func (d *decoder) scalar() (string, bool, error) {
	switch d.peek() {
	case '{', '[':
		return "", false, d.skip()
	}
	tok, err := d.read()
	if err != nil {
		return "", false, err
	}
	if tok.Kind() == 'n' {
		return "", true, nil
	}
	return tok.String(), true, nil
}
