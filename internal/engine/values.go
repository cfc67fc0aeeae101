package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Values holds one member's field values, packed: every value end to end
// in one string, and where each ends. A first import of 100,000 holds each
// member's values twice over (the record read, the change planned) and
// keeps them through the run; packed, a member's values are one allocation
// and 56 bytes of header instead of twenty strings (320 bytes), which is
// most of what brings that import under 150 MB (issue 18). The form is
// canonical (the same values pack the same), so Values compare with ==.
// The zero Values has every field blank.
type Values struct {
	all string
	end [NumFields]uint16
}

// maxPacked is the most bytes Values hold: every field at its limit in
// four-byte characters is about 20 KB, so only a value no rule has cut can
// reach it, and it is cut at a character boundary to fit.
const maxPacked = 1<<16 - 1

// Pack is the Values holding each field's value, in one allocation.
func Pack(vals [NumFields]string) Values {
	n := 0
	for _, s := range vals {
		n += len(s)
	}
	var b strings.Builder
	b.Grow(min(n, maxPacked))
	var v Values
	for f, s := range vals {
		if room := maxPacked - b.Len(); len(s) > room {
			s = cutBytes(s, room)
		}
		b.WriteString(s)
		v.end[f] = uint16(b.Len())
	}
	v.all = b.String()
	return v
}

// cutBytes is s cut to at most n bytes, at a character boundary.
func cutBytes(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Get is field f's value ("" when blank).
func (v Values) Get(f Field) string {
	start := uint16(0)
	if f > 0 {
		start = v.end[f-1]
	}
	return v.all[start:v.end[f]]
}

// Unpack is every field's value, indexed by Field. The strings share the
// packed one's memory.
func (v Values) Unpack() [NumFields]string {
	var out [NumFields]string
	for f := range NumFields {
		out[f] = v.Get(f)
	}
	return out
}

// Set makes field f's value s, repacking the values.
func (v *Values) Set(f Field, s string) {
	if v.Get(f) == s {
		return
	}
	vals := v.Unpack()
	vals[f] = s
	*v = Pack(vals)
}

// MarshalJSON writes the values as an object of the fields' names, blank
// ones left out: the in-memory store's copy of a change, never a stored
// format (each adapter writes its own).
func (v Values) MarshalJSON() ([]byte, error) {
	m := make(map[string]string)
	for f := range NumFields {
		if s := v.Get(f); s != "" {
			m[f.String()] = s
		}
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON wrote; an unknown field name is an
// error.
func (v *Values) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var vals [NumFields]string
	for name, s := range m {
		f, ok := FieldByName(name)
		if !ok {
			return fmt.Errorf("unknown field %q", name)
		}
		vals[f] = s
	}
	*v = Pack(vals)
	return nil
}
