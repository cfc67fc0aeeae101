package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Error is an API error: a status, a stable code, a message for people and
// field-level details.
type Error struct {
	Status int `json:"-"`
	// RetryAfter, in seconds, is sent as the Retry-After header when set:
	// a 429 or 503 that knows when to come back says so.
	RetryAfter int            `json:"-"`
	Code       string         `json:"code"`
	Message    string         `json:"message"`
	Details    []FieldProblem `json:"details,omitempty"`
}

// FieldProblem is one field-level complaint about a request.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func invalid(msg string, details ...FieldProblem) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "validation_failed", Message: msg, Details: details}
}

var (
	errNotFound = &Error{Status: http.StatusNotFound, Code: "not_found", Message: "Nothing here for your organisation."}
	errStale    = &Error{Status: http.StatusConflict, Code: "conflict", Message: "Someone saved this integration after you loaded it: reload and try again."}
	errNoKey    = &Error{Status: http.StatusConflict, Code: "not_authorized", Message: "Connect PeopleHR first: paste an API key in step 2."}
)

// maxBody caps request bodies: no request of this API needs more.
const maxBody = 64 << 10

// decode reads a JSON object body strictly: one object, no unknown fields,
// no trailing data, at most maxBody bytes. Problems come back as a 400 that
// names the field.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "Send JSON (Content-Type: application/json)."}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err == nil {
		err = nullField(raw)
	}
	if err != nil {
		return decodeError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(dst)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data")
		}
	}
	if err == nil {
		return nil
	}
	return decodeError(err)
}

// errNull names a field sent as null: every field has a type, and leaving
// a field out is how to keep its value.
type errNull struct{ field string }

func (e *errNull) Error() string { return "null field " + e.field }

// nullField refuses a top-level null value; a body that is not an object
// is left for the decoder to describe.
func nullField(raw []byte) error {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return nil
	}
	for name, v := range fields {
		if string(bytes.TrimSpace(v)) == "null" {
			return &errNull{name}
		}
	}
	return nil
}

func decodeError(err error) error {
	var tooBig *http.MaxBytesError
	var null *errNull
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &tooBig):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: fmt.Sprintf("The body is over %d KiB.", maxBody>>10)}
	case errors.As(err, &null):
		return invalid("A field is null.", FieldProblem{Field: null.field, Message: "must not be null: leave it out to keep its value"})
	case errors.Is(err, io.EOF):
		return invalid("The body is empty: send a JSON object.")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return invalid("The body must be a JSON object.")
		}
		return invalid("A field has the wrong type.", FieldProblem{Field: field, Message: "must be " + jsonType(typeErr.Type.String())})
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("The body is not valid JSON.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid("The body has a field this API does not know.", FieldProblem{Field: field, Message: "unknown field"})
	}
	return invalid("The body is not a valid JSON object: " + err.Error())
}

func jsonType(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}
