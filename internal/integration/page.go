package integration

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
)

// ErrBadCursor is returned by a store's paged reads for a cursor that
// store did not make: the API answers it as bad input.
var ErrBadCursor = errors.New("invalid page cursor")

// EncodeCursor is a cursor struct as callers see it: base64url of its
// JSON, opaque to them.
func EncodeCursor(c any) string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // cursors are structs of strings, numbers and times
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads what EncodeCursor made into c, refusing with
// ErrBadCursor anything longer than max, not base64url, not one JSON
// object of c's fields, or with fields c lacks.
func DecodeCursor(enc string, max int, c any) error {
	if len(enc) > max {
		return ErrBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return ErrBadCursor
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil || dec.More() {
		return ErrBadCursor
	}
	return nil
}
