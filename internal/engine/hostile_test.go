package engine

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Values typed by anyone into PeopleHR never break a run, never reach a
// member with control characters, and never blow up an issue message.
func TestHostileValues(t *testing.T) {
	huge := strings.Repeat("A", 10<<20)
	recs := []Record{
		rec("E1", "a@example.com", "FirstName", "=cmd|' /C calc'!A0", "LastName", "+SUM(1)"),
		rec("E2", "b@example.com", "FirstName", "Ann\x00\x1b[31mie\r\n", "LastName", "O\u200fBrien"),
		rec("E3", "c@example.com", "FirstName", huge, "Department", "💼 Sales 🚀"),
		rec("E4", huge+"@example.com"),
		rec("E5", "d@example.com", "FirstName", "bad\xff\xfeutf8"),
	}
	p := mustPlan(t, DefaultSettings(), DefaultMapping(), nil, recs...)
	if p.Counts.Created != 4 || p.Counts.Errors != 1 {
		t.Fatalf("counts %+v", p.Counts)
	}
	for _, c := range p.Changes {
		for f, v := range c.After.Values.Unpack() {
			if !utf8.ValidString(v) || strings.ContainsFunc(v, unwanted) || runeLen(v) > Field(f).MaxLen() {
				t.Errorf("%s.%s = %.40q", c.EmployeeID(), Field(f), v)
			}
		}
	}
	if v := changeOf(p, "E2").After.Values; v.Get(FirstName) != "Ann[31mie" || v.Get(LastName) != "O\u200fBrien" {
		t.Errorf("E2 %q %q", v.Get(FirstName), v.Get(LastName))
	}
	if v := changeOf(p, "E1").After.Values.Get(FirstName); v != "=cmd|' /C calc'!A0" {
		t.Errorf("a formula-looking name is data, kept as it is: %q", v)
	}
	for _, is := range p.Issues {
		if len(is.Message) > 300 {
			t.Errorf("issue message of %d bytes: %.80s", len(is.Message), is.Message)
		}
	}
}
