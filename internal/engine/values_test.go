package engine

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValuesPackAndRead(t *testing.T) {
	var vals [NumFields]string
	vals[EmployeeID], vals[Email], vals[LastName], vals[Custom5] = "E1", "zoe@example.com", "Zoë", "last"
	v := Pack(vals)
	if v.Unpack() != vals {
		t.Fatalf("unpacked %q, want %q", v.Unpack(), vals)
	}
	for f := range NumFields {
		if v.Get(f) != vals[f] {
			t.Errorf("%s = %q, want %q", f, v.Get(f), vals[f])
		}
	}
	if (Values{}).Get(Custom5) != "" || Pack([NumFields]string{}) != (Values{}) {
		t.Error("the zero Values is not every field blank")
	}

	set := v
	set.Set(FirstName, "Zoë")
	set.Set(LastName, "")
	want := vals
	want[FirstName], want[LastName] = "Zoë", ""
	if set != Pack(want) {
		t.Errorf("after Set: %q, want %q (packed the same way as Pack)", set.Unpack(), want)
	}
	if v.Get(LastName) != "Zoë" {
		t.Error("Set changed the copy it was made from")
	}
}

// A value no rule has cut cannot overflow the offsets: it is cut at a
// character boundary.
func TestValuesCutPastTheirRoom(t *testing.T) {
	var vals [NumFields]string
	vals[Custom1] = strings.Repeat("王", maxPacked) // 3 bytes each
	vals[Custom2] = "after"
	v := Pack(vals)
	if got := v.Get(Custom1); len(got) > maxPacked || !utf8.ValidString(got) || len(got) < maxPacked-3 {
		t.Errorf("cut to %d bytes (valid UTF-8 %v), want at most %d, whole characters", len(got), utf8.ValidString(got), maxPacked)
	}
	if v.Get(Custom2) != "" {
		t.Errorf("a field past the room kept %q", v.Get(Custom2))
	}
}

func TestValuesJSON(t *testing.T) {
	var vals [NumFields]string
	vals[EmployeeID], vals[JobTitle] = "E1", "Head of \"Sales\""
	b, err := json.Marshal(Pack(vals))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"employeeId":"E1","jobTitle":"Head of \"Sales\""}` {
		t.Errorf("encoded %s", b)
	}
	var back Values
	if err := json.Unmarshal(b, &back); err != nil || back != Pack(vals) {
		t.Errorf("decoded %q, %v", back.Unpack(), err)
	}
	if err := json.Unmarshal([]byte(`{"bankAccount":"1"}`), &back); err == nil {
		t.Error("an unknown field name was read")
	}
}
