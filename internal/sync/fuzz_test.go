package sync

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzPlanRecord maps and plans a record of arbitrary values (custom-column
// dates in each format, emails, names, leaving dates): it never panics,
// keeps values within their limits and clean, and a plan applied then
// planned again is empty.
func FuzzPlanRecord(f *testing.F) {
	f.Add("E1", "a@example.com", "Zoë", "04/05/1990", "", "1", 1)
	f.Add("=1+2", "x@y.example", "王伟", "31/02/2026", "2026-01-01", "Left", 0)
	f.Add(" E 2 ", "not-an-email", "O'Brien\x00", "1990-13-45", "2099-12-31", "Leaver marked", 3)
	f.Add("E3", "", "\u200fאבי", "", "bad", "", 4)
	f.Fuzz(func(t *testing.T, id, email, name, date, leaving, status string, format int) {
		s := DefaultSettings()
		formats := []string{"yyyy-MM-dd", "dd/MM/yyyy", "MM/dd/yyyy", "yyyy/MM/dd", "dd-MM-yyyy"}
		s.DateFormat = formats[(format%len(formats)+len(formats))%len(formats)]
		m := DefaultMapping()
		m.Fields["dateOfBirth"] = "APIColumn1"
		r := Record{"EmployeeId": id, "EmailId": email, "FirstName": name, "APIColumn1": date, "LeavingDate": leaving, "EmployeeStatus": status}
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		p, err := NewPlanner(m, s, now)
		if err != nil {
			t.Fatal(err)
		}
		p.Add(r)
		plan := p.Plan(nil)
		for _, c := range plan.Changes {
			for fi, v := range c.After.Values {
				if !utf8.ValidString(v) || strings.ContainsFunc(v, unwanted) || runeLen(v) > Field(fi).MaxLen() {
					t.Fatalf("%s = %q", Field(fi), v)
				}
			}
			if d := c.After.Values[DateOfBirth]; d != "" {
				if _, err := time.Parse(time.DateOnly, d); err != nil {
					t.Fatalf("dateOfBirth %q is not yyyy-MM-dd", d)
				}
			}
		}
		for _, is := range plan.Issues {
			if len(is.Message) > 400 {
				t.Fatalf("issue message of %d bytes", len(is.Message))
			}
		}
		again, _ := NewPlanner(m, s, now)
		again.Add(r)
		if replan := again.Plan(apply(nil, plan)); len(replan.Changes) != 0 {
			t.Fatalf("planning the applied state gave %d changes", len(replan.Changes))
		}
	})
}
