package engine

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzPlanRecord maps and plans a record of arbitrary values (custom-column
// dates in each format, emails, names, leaving dates) against a stored
// member that the record may update or relink to (same email and name,
// another id): it never panics; every value a change would store is valid
// UTF-8, within its limit and free of control, line-break and invisible
// characters; and a plan applied then planned again is empty.
func FuzzPlanRecord(f *testing.F) {
	f.Add("E1", "a@example.com", "Zoë", "04/05/1990", "", "1", 1, "E1", uint8(0))
	f.Add("=1+2", "x@y.example", "王伟", "31/02/2026", "2026-01-01", "Left", 0, "E9", uint8(1))
	f.Add(" E 2 ", "not-an-email", "O'Brien\x00", "1990-13-45", "2099-12-31", "Leaver marked", 3, "E2", uint8(2))
	f.Add("E3", "", "\u200fאבי", "", "bad", "", 4, "", uint8(3))
	f.Add("\ufeffX1\u200b", "A@Example.com\u2060", "zoe\u0308\r\n", "not a date", "", "1", 1, "E1", uint8(6))
	f.Add("X2", "b@bücher.example", "Ann\tMarie", "01/02/1990", "", "1", 2, "OLD", uint8(5))
	f.Fuzz(func(t *testing.T, id, email, name, date, leaving, status string, format int, storedID string, state uint8) {
		s := DefaultSettings()
		formats := []string{"yyyy-MM-dd", "dd/MM/yyyy", "MM/dd/yyyy", "yyyy/MM/dd", "dd-MM-yyyy"}
		s.DateFormat = formats[(format%len(formats)+len(formats))%len(formats)]
		s.WelcomeOnStartDate = state&4 != 0
		m := DefaultMapping()
		m.Fields["dateOfBirth"] = "APIColumn1"
		r := Record{"EmployeeId": id, "EmailId": email, "FirstName": name, "LastName": "Last", "APIColumn1": date,
			"LeavingDate": leaving, "EmployeeStatus": status, "StartDate": "2026-03-01"}
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		var members []Member
		if sid := clean(storedID); sid != "" {
			// The stored member as an earlier run would have written it.
			st := Member{Status: []Status{StatusInvited, StatusActive, StatusLeaver}[state%3], Version: 2}
			st.Values.Set(EmployeeID, sid)
			st.Values.Set(Email, toLower(clean(email)))
			st.Values.Set(FirstName, clean(name))
			st.Values.Set(LastName, "Last")
			st.Values.Set(Title, "Dr")
			st.Values.Set(StartDate, "2026-03-01")
			st.Welcome = []Welcome{WelcomeScheduled, WelcomeSent, WelcomeOwed}[state%3]
			members = append(members, st)
		}
		p, err := NewPlanner(m, s, now)
		if err != nil {
			t.Fatal(err)
		}
		p.Add(r)
		plan := p.Plan(members)
		for _, c := range plan.Changes {
			for fi, v := range c.After.Values.Unpack() {
				if !utf8.ValidString(v) || strings.ContainsFunc(v, unwanted) || runeLen(v) > Field(fi).MaxLen() || v != strings.TrimSpace(v) {
					t.Fatalf("%s = %q", Field(fi), v)
				}
			}
			if d := c.After.Values.Get(DateOfBirth); d != "" {
				if _, err := time.Parse(time.DateOnly, d); err != nil {
					t.Fatalf("dateOfBirth %q is not yyyy-MM-dd", d)
				}
			}
			if c.Kind == KindRelink && (c.After.Values.Get(Title) != "Dr" || c.After.Version != c.Before.Version) {
				t.Fatalf("a relink dropped what it carries: %+v", c.After)
			}
		}
		for _, is := range plan.Issues {
			if len(is.Message) > 400 {
				t.Fatalf("issue message of %d bytes", len(is.Message))
			}
		}
		again, _ := NewPlanner(m, s, now)
		again.Add(r)
		if replan := again.Plan(apply(members, plan)); len(replan.Changes) != 0 && !plan.Held {
			t.Fatalf("planning the applied state gave %s", kinds(replan))
		}
	})
}
