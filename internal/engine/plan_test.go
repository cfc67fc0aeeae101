package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// now is late evening in London and already tomorrow in Sydney.
var now = time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC)

const today = "2026-03-10"

func rec(id, email string, kv ...string) Record {
	r := Record{"EmployeeId": id, "EmailId": email, "FirstName": "First " + id, "LastName": "Last", "EmployeeStatus": "1", "LeavingDate": ""}
	for i := 0; i+1 < len(kv); i += 2 {
		r[kv[i]] = kv[i+1]
	}
	return r
}

func member(id, email string, status Status) Member {
	m := Member{Status: status, Welcome: WelcomeSent, Version: 3}
	m.Values.Set(EmployeeID, id)
	m.Values.Set(Email, email)
	m.Values.Set(FirstName, "First "+id)
	m.Values.Set(LastName, "Last")
	if status == StatusLeaver {
		m.LeftOn, m.PurgeOn = "2026-01-01", "2026-03-02"
	}
	return m
}

func mustPlan(t *testing.T, s Settings, m Mapping, members []Member, recs ...Record) Plan {
	t.Helper()
	p, err := NewPlanner(m, s, now)
	if err != nil {
		t.Fatalf("NewPlanner: %v", err)
	}
	for _, r := range recs {
		p.Add(r)
	}
	return p.Plan(members)
}

func changeOf(p Plan, id string) *Change {
	for i := range p.Changes {
		if p.Changes[i].EmployeeID() == id {
			return &p.Changes[i]
		}
	}
	return nil
}

func kinds(p Plan) string {
	var b []string
	for _, c := range p.Changes {
		b = append(b, string(c.Kind)+":"+c.EmployeeID())
	}
	return strings.Join(b, " ")
}

func issues(p Plan) string {
	var b []string
	for _, is := range p.Issues {
		b = append(b, fmt.Sprintf("%d/%s/%s/%s", is.Row, is.EmployeeID, is.Field, is.Severity))
	}
	return strings.Join(b, " ")
}

// planCase is one row of a table of plans: the inputs, then what the plan
// must say. Every row is also planned again on its applied state, which
// must be empty.
type planCase struct {
	name     string
	settings func(*Settings)
	mapping  func(*Mapping)
	members  []Member
	records  []Record
	kinds    string // "kind:id ..." in plan order
	issues   string // "row/id/field/severity ..." sorted by row
	counts   Counts
	check    func(t *testing.T, p Plan)
}

func runPlanCases(t *testing.T, tests []planCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, m := DefaultSettings(), DefaultMapping()
			if tt.settings != nil {
				tt.settings(&s)
			}
			if tt.mapping != nil {
				tt.mapping(&m)
			}
			p := mustPlan(t, s, m, tt.members, tt.records...)
			if got := kinds(p); got != tt.kinds {
				t.Errorf("changes = %q, want %q", got, tt.kinds)
			}
			if got := issues(p); got != tt.issues {
				t.Errorf("issues = %q, want %q", got, tt.issues)
			}
			if p.Counts != tt.counts {
				t.Errorf("counts = %+v, want %+v", p.Counts, tt.counts)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
			assertNoRepeat(t, s, m, tt.members, p, tt.records)
		})
	}
}

func TestRules(t *testing.T) {
	runPlanCases(t, []planCase{
		{
			name:    "new and active is created invited with a welcome owed",
			records: []Record{rec("E1", "  Ann@Example.COM ")},
			kinds:   "create:E1",
			counts:  Counts{Created: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				c := changeOf(p, "E1")
				if c.After.Status != StatusInvited || c.After.Welcome != WelcomeOwed || c.After.Email() != "ann@example.com" {
					t.Errorf("after = %+v", c.After)
				}
			},
		},
		{
			name:     "welcome off creates active members with no email owed",
			settings: func(s *Settings) { s.WelcomeEmail = false },
			records:  []Record{rec("E1", "ann@example.com")},
			kinds:    "create:E1",
			counts:   Counts{Created: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				if a := changeOf(p, "E1").After; a.Status != StatusActive || a.Welcome != WelcomeNotSent {
					t.Errorf("after = %+v", a)
				}
			},
		},
		{
			name:    "new and inactive is skipped",
			records: []Record{rec("E1", "a@example.com", "LeavingDate", "2026-03-01"), rec("E2", "b@example.com", "EmployeeStatus", "Left")},
			counts:  Counts{SkippedLeavers: 2, Total: 2},
		},
		{
			name:    "known and unchanged writes nothing",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E1", "A@example.com ")},
			counts:  Counts{Unchanged: 1, Total: 1},
		},
		{
			name:    "known and changed updates only the changed fields, no email",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E1", "a@example.com", "LastName", "Zoë", "Department", "Sales")},
			kinds:   "update:E1",
			counts:  Counts{Updated: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				c := changeOf(p, "E1")
				if fmt.Sprint(c.Fields) != "[lastName department]" || c.After.Welcome != WelcomeSent || c.After.Status != StatusActive {
					t.Errorf("fields %v after %+v", c.Fields, c.After)
				}
			},
		},
		{
			name: "a blank mapped field clears the member's value",
			members: []Member{func() Member {
				m := member("E1", "a@example.com", StatusActive)
				m.Values.Set(Department, "Ops")
				return m
			}()},
			records: []Record{rec("E1", "a@example.com", "Department", "  ")},
			kinds:   "update:E1",
			counts:  Counts{Updated: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				if v := changeOf(p, "E1").After.Values.Get(Department); v != "" {
					t.Errorf("department = %q", v)
				}
			},
		},
		{
			name: "an unmapped field keeps the member's value",
			mapping: func(m *Mapping) {
				delete(m.Fields, "department")
			},
			members: []Member{func() Member {
				m := member("E1", "a@example.com", StatusActive)
				m.Values.Set(Department, "Ops")
				return m
			}()},
			records: []Record{rec("E1", "a@example.com", "Department", "Sales")},
			counts:  Counts{Unchanged: 1, Total: 1},
		},
		{
			name:    "leaver gets leftOn and deletion 60 days later",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E1", "a@example.com", "LeavingDate", "2026-03-01", "EmployeeStatus", "Left")},
			kinds:   "close:E1",
			counts:  Counts{Closed: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				a := changeOf(p, "E1").After
				if a.Status != StatusLeaver || a.LeftOn != "2026-03-01" || a.PurgeOn != "2026-05-09" {
					t.Errorf("after = %+v", a)
				}
			},
		},
		{
			name:    "leaving date today closes, status alone closes with today",
			members: []Member{member("E1", "a@example.com", StatusActive), member("E2", "b@example.com", StatusInvited)},
			records: []Record{rec("E1", "a@example.com", "LeavingDate", today), rec("E2", "b@example.com", "EmployeeStatus", "Inactive")},
			kinds:   "close:E1 close:E2",
			counts:  Counts{Closed: 2, Total: 2},
			check: func(t *testing.T, p Plan) {
				if l := changeOf(p, "E2").After.LeftOn; l != today {
					t.Errorf("leftOn = %s", l)
				}
			},
		},
		{
			name:    "future leaving date stays active",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E1", "a@example.com", "LeavingDate", "2026-03-11", "EmployeeStatus", "Leaver marked")},
			counts:  Counts{Unchanged: 1, Total: 1},
		},
		{
			name:     "today is the tenant's: already the 11th in Sydney",
			settings: func(s *Settings) { s.Location = mustZone(t, "Australia/Sydney") },
			members:  []Member{member("E1", "a@example.com", StatusActive)},
			records:  []Record{rec("E1", "a@example.com", "LeavingDate", "2026-03-11")},
			kinds:    "close:E1",
			counts:   Counts{Closed: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				if a := changeOf(p, "E1").After; a.LeftOn != "2026-03-11" || a.PurgeOn != "2026-05-10" {
					t.Errorf("after = %+v", a)
				}
			},
		},
		{
			name:    "rehire of a leaver who had accepted reactivates without a welcome",
			members: []Member{func() Member { m := member("E1", "a@example.com", StatusLeaver); m.Accepted = true; return m }()},
			records: []Record{rec("E1", "a@example.com")},
			kinds:   "reactivate:E1",
			counts:  Counts{Reactivated: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				a := changeOf(p, "E1").After
				if a.Status != StatusActive || a.Welcome != WelcomeSent || a.LeftOn != "" || a.PurgeOn != "" {
					t.Errorf("after = %+v", a)
				}
			},
		},
		{
			name:    "a leaver still gone is unchanged",
			members: []Member{member("E1", "a@example.com", StatusLeaver)},
			records: []Record{rec("E1", "a@example.com", "LeavingDate", "2026-01-01", "EmployeeStatus", "Left")},
			counts:  Counts{Unchanged: 1, Total: 1},
		},
		{
			name:    "email change updates the same member",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E1", "a.new@example.com")},
			kinds:   "update:E1",
			counts:  Counts{Updated: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				c := changeOf(p, "E1")
				if c.ReleasedEmail() != "a@example.com" || c.ClaimedEmail() != "a.new@example.com" {
					t.Errorf("released %q claimed %q", c.ReleasedEmail(), c.ClaimedEmail())
				}
			},
		},
		{
			name:    "missing from the feed is a warning, not a closure",
			members: []Member{member("E1", "a@example.com", StatusActive), member("E2", "b@example.com", StatusActive), member("E3", "c@example.com", StatusLeaver)},
			records: []Record{rec("E1", "a@example.com")},
			issues:  "0/E2//warning",
			counts:  Counts{Unchanged: 1, Warnings: 1, Total: 1},
		},
		{
			name:     "missing from the feed is closed when the tenant opted in",
			settings: func(s *Settings) { s.CloseMissingMembers = true },
			members:  []Member{member("E1", "a@example.com", StatusActive), member("E2", "b@example.com", StatusActive)},
			records:  []Record{rec("E1", "a@example.com")},
			kinds:    "close:E2",
			counts:   Counts{Unchanged: 1, Closed: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				if a := changeOf(p, "E2").After; a.LeftOn != today || a.Status != StatusLeaver {
					t.Errorf("after = %+v", a)
				}
			},
		},
		{
			name:    "duplicate ids skip both records and leave the member alone",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E1", "a@example.com", "LastName", "X"), rec("E2", "b@example.com"), rec("E1", "z@example.com")},
			kinds:   "create:E2",
			issues:  "1/E1/employeeId/error 3/E1/employeeId/error",
			counts:  Counts{Created: 1, Errors: 2, Total: 3},
		},
		{
			name:    "blank employee id is a row error",
			records: []Record{rec(" ", "a@example.com"), rec("E2", "b@example.com")},
			kinds:   "create:E2",
			issues:  "1//employeeId/error",
			counts:  Counts{Created: 1, Errors: 1, Total: 2},
		},
		{
			name:    "invalid or blank email skips the record and does not close the member",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E1", "not-an-email"), rec("E2", ""), rec("E3", "Ann <ann@example.com>"), rec("E4", "x@localhost")},
			issues:  "1/E1/email/error 2/E2/email/error 3/E3/email/error 4/E4/email/error",
			counts:  Counts{Errors: 4, Total: 4},
		},
		{
			name:    "the same email on two employees errs on the later one",
			records: []Record{rec("E1", "same@example.com"), rec("E2", "SAME@example.com")},
			kinds:   "create:E1",
			issues:  "2/E2/email/error",
			counts:  Counts{Created: 1, Errors: 1, Total: 2},
		},
		{
			name:    "an email held by a member missing from the feed is taken",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E2", "a@example.com")},
			issues:  "0/E1//warning 1/E2/email/error",
			counts:  Counts{Errors: 1, Warnings: 1, Total: 1},
		},
		{
			name:    "a leaver's email passes to a new employee",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E1", "a@example.com", "EmployeeStatus", "Left"), rec("E2", "a@example.com")},
			kinds:   "close:E1 create:E2",
			counts:  Counts{Created: 1, Closed: 1, Total: 2},
		},
		{
			name:    "two employees swapping addresses both update",
			members: []Member{member("E1", "a@example.com", StatusActive), member("E2", "b@example.com", StatusActive)},
			records: []Record{rec("E1", "b@example.com"), rec("E2", "a@example.com")},
			kinds:   "update:E1 update:E2",
			counts:  Counts{Updated: 2, Total: 2},
		},
		{
			name: "a skipped member keeps its address, which displaces an earlier claimant",
			members: []Member{
				member("E1", "a@example.com", StatusActive),
				member("E2", "b@example.com", StatusActive),
			},
			// E3 (new) wants b; E2 wants a, held by E1 (unchanged) -> E2 skipped,
			// so E2 keeps b and E3 must be skipped too.
			records: []Record{rec("E1", "a@example.com"), rec("E3", "b@example.com"), rec("E2", "a@example.com")},
			issues:  "2/E3/email/error 3/E2/email/error",
			counts:  Counts{Unchanged: 1, Errors: 2, Total: 3},
		},
		{
			name:     "a text date that does not parse leaves the field and warns",
			settings: func(s *Settings) { s.DateFormat = "dd/MM/yyyy" },
			mapping:  func(m *Mapping) { m.Fields["dateOfBirth"] = "APIColumn1" },
			members: []Member{func() Member {
				m := member("E1", "a@example.com", StatusActive)
				m.Values.Set(DateOfBirth, "1990-05-04")
				m.Values.Set(StartDate, "2020-01-02")
				return m
			}()},
			records: []Record{
				rec("E1", "a@example.com", "APIColumn1", "1990-05-04", "StartDate", "2020-01-02"),
				rec("E2", "b@example.com", "APIColumn1", "4/5/1990", "StartDate", "2021-02-03T00:00:00"),
			},
			kinds:  "create:E2",
			issues: "1/E1/dateOfBirth/warning",
			counts: Counts{Created: 1, Unchanged: 1, Warnings: 1, Total: 2},
			check: func(t *testing.T, p Plan) {
				if v := changeOf(p, "E2").After.Values; v.Get(DateOfBirth) != "1990-05-04" || v.Get(StartDate) != "2021-02-03" {
					t.Errorf("dates = %q %q", v.Get(DateOfBirth), v.Get(StartDate))
				}
			},
		},
		{
			name:    "an unreadable leaving date skips the record",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E1", "a@example.com", "LeavingDate", "31/12/2025")},
			issues:  "1/E1/LeavingDate/error",
			counts:  Counts{Errors: 1, Total: 1},
		},
		{
			name:    "over-long values are cut by characters with a warning",
			records: []Record{rec("E1", "a@example.com", "FirstName", strings.Repeat("王", 120), "JobRole", strings.Repeat("x", 300))},
			kinds:   "create:E1",
			issues:  "1/E1/firstName/warning 1/E1/jobTitle/warning",
			counts:  Counts{Created: 1, Warnings: 2, Total: 1},
			check: func(t *testing.T, p Plan) {
				v := changeOf(p, "E1").After.Values
				if v.Get(FirstName) != strings.Repeat("王", 100) || len(v.Get(JobTitle)) != 200 {
					t.Errorf("first %q job %d", v.Get(FirstName), len(v.Get(JobTitle)))
				}
			},
		},
		{
			name:    "any script and punctuation are kept as they are",
			records: []Record{rec("E1", "zoe@example.com", "FirstName", "Zoë", "LastName", "O'Brien"), rec("E2", "w@example.com", "FirstName", "王伟", "LastName", "Anne-Marie")},
			kinds:   "create:E1 create:E2",
			counts:  Counts{Created: 2, Total: 2},
			check: func(t *testing.T, p Plan) {
				if v := changeOf(p, "E1").After.Values; v.Get(FirstName) != "Zoë" || v.Get(LastName) != "O'Brien" {
					t.Errorf("values %q", v.Unpack())
				}
			},
		},
		{
			name: "a chosen unique key and email source",
			mapping: func(m *Mapping) {
				m.UniqueKey = "EmploymentDetail.PayrollID"
				m.Fields["email"] = "ContactDetail.PersonalEmail"
			},
			records: []Record{{"EmploymentDetail.PayrollID": "P-9", "ContactDetail.PersonalEmail": "me@home.example", "EmployeeId": "E1"}},
			kinds:   "create:P-9",
			counts:  Counts{Created: 1, Total: 1},
		},
		{
			name: "out of scope: never created, counted, and a member moving out is handled as missing",
			settings: func(s *Settings) {
				s.Scope = []ScopeRule{{Source: "EmploymentType", Op: ScopeEquals, Values: []string{" contractor"}}, {Source: "Location", Op: ScopeIn, Values: []string{"Leeds", "York"}}}
			},
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{
				rec("E1", "a@example.com", "EmploymentType", "Contractor"),
				rec("E2", "b@example.com", "Location", "york"),
				rec("E3", "c@example.com", "Location", "Hull", "EmploymentType", "Employee"),
			},
			kinds:  "create:E3",
			issues: "0/E1//warning",
			counts: Counts{Created: 1, OutOfScope: 2, Warnings: 1, Total: 3},
			check: func(t *testing.T, p Plan) {
				if !strings.Contains(p.Issues[0].Message, "scope") {
					t.Errorf("warning %q", p.Issues[0].Message)
				}
			},
		},
		{
			name: "out of scope with closing of missing members on: closed",
			settings: func(s *Settings) {
				s.CloseMissingMembers = true
				s.Scope = []ScopeRule{{Source: "EmploymentType", Op: ScopeNotIn, Values: []string{"Employee", "Director"}}}
			},
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E1", "a@example.com", "EmploymentType", "Contractor")},
			kinds:   "close:E1",
			counts:  Counts{Closed: 1, OutOfScope: 1, Total: 1},
		},
		{
			name:    "an employee id changed in PeopleHR: the member moves to the new id",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("X1", "A@example.com", "FirstName", "first e1", "Department", "Ops")},
			kinds:   "relink:X1",
			issues:  "1/X1/employeeId/warning",
			counts:  Counts{Updated: 1, Warnings: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				c := changeOf(p, "X1")
				if c.Before.EmployeeID() != "E1" || c.After.Welcome != WelcomeSent || c.After.Status != StatusActive || c.ClaimedEmail() != "" || c.ReleasedEmail() != "" {
					t.Errorf("relink %+v", c)
				}
			},
		},
		{
			name:    "same email, another name: not the same person, so no relink",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("X1", "a@example.com", "FirstName", "Someone Else")},
			issues:  "0/E1//warning 1/X1/email/error",
			counts:  Counts{Errors: 1, Warnings: 1, Total: 1},
		},
		{
			name:     "welcome on the start date: a pre-hire's waits, a starter's goes now",
			settings: func(s *Settings) { s.WelcomeOnStartDate = true },
			records:  []Record{rec("E1", "a@example.com", "StartDate", "2026-04-01"), rec("E2", "b@example.com", "StartDate", today)},
			kinds:    "create:E1 create:E2",
			counts:   Counts{Created: 2, Total: 2},
			check: func(t *testing.T, p Plan) {
				if w1, w2 := changeOf(p, "E1").After.Welcome, changeOf(p, "E2").After.Welcome; w1 != WelcomeScheduled || w2 != WelcomeOwed {
					t.Errorf("welcomes %s %s", w1, w2)
				}
			},
		},
		{
			name:     "welcome on the start date: the day comes, the welcome is owed",
			settings: func(s *Settings) { s.WelcomeOnStartDate = true },
			members: []Member{func() Member {
				m := member("E1", "a@example.com", StatusInvited)
				m.Welcome = WelcomeScheduled
				m.Values.Set(StartDate, today)
				return m
			}()},
			records: []Record{rec("E1", "a@example.com", "StartDate", today)},
			kinds:   "update:E1",
			counts:  Counts{Updated: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				if w := changeOf(p, "E1").After.Welcome; w != WelcomeOwed {
					t.Errorf("welcome %s", w)
				}
			},
		},
		{
			name:    "mass change: more than the threshold would close, so the plan is held",
			members: activeMembers(20),
			records: feedWithLeavers(20, 6),
			kinds:   "close:M00 close:M01 close:M02 close:M03 close:M04 close:M05",
			counts:  Counts{Closed: 6, Unchanged: 14, Total: 20},
			check: func(t *testing.T, p Plan) {
				if !p.Held || !strings.Contains(p.HeldReason, "6 of 20") {
					t.Errorf("held %v %q", p.Held, p.HeldReason)
				}
			},
		},
		{
			name:    "mass change: at the threshold is not held",
			members: activeMembers(20),
			records: feedWithLeavers(20, 5),
			counts:  Counts{Closed: 5, Unchanged: 15, Total: 20},
			kinds:   "close:M00 close:M01 close:M02 close:M03 close:M04",
			check: func(t *testing.T, p Plan) {
				if p.Held {
					t.Errorf("held: %s", p.HeldReason)
				}
			},
		},
		{
			name:     "mass change: a configured threshold of 50% on 100 members",
			settings: func(s *Settings) { s.MassChangeThresholdPercent = 50; s.CloseMissingMembers = true },
			members:  activeMembers(100),
			records:  feedWithLeavers(49, 0),
			kinds:    closesOf(49, 100),
			counts:   Counts{Closed: 51, Unchanged: 49, Total: 49},
			check: func(t *testing.T, p Plan) {
				if !p.Held {
					t.Error("not held")
				}
			},
		},
		{
			name:    "mass change: an empty feed while members exist is held",
			members: activeMembers(3),
			issues:  "0/M00//warning 0/M01//warning 0/M02//warning",
			counts:  Counts{Warnings: 3},
			check: func(t *testing.T, p Plan) {
				if !p.Held || !strings.Contains(p.HeldReason, "no employees") {
					t.Errorf("held %v %q", p.Held, p.HeldReason)
				}
			},
		},
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func activeMembers(n int) []Member {
	out := make([]Member, n)
	for i := range out {
		out[i] = member(fmt.Sprintf("M%02d", i), fmt.Sprintf("m%02d@example.com", i), StatusActive)
	}
	return out
}

// feedWithLeavers is n employees matching activeMembers, the first leavers of
// them gone.
func feedWithLeavers(n, leavers int) []Record {
	out := make([]Record, n)
	for i := range out {
		out[i] = rec(fmt.Sprintf("M%02d", i), fmt.Sprintf("m%02d@example.com", i))
		if i < leavers {
			out[i]["LeavingDate"] = "2026-03-09"
		}
	}
	return out
}

func closesOf(from, to int) string {
	var b []string
	for i := from; i < to; i++ {
		b = append(b, fmt.Sprintf("close:M%02d", i))
	}
	return strings.Join(b, " ")
}

// TestReactivationWelcome: a reactivated member who never accepted is
// invited again, but only one who never had a welcome is owed one; a
// scope-out, approve, scope-in cycle must not mail anyone twice (issue 15).
func TestReactivationWelcome(t *testing.T) {
	tests := []struct {
		before Welcome
		want   Welcome
	}{
		{WelcomeSent, WelcomeSent},
		{WelcomeSending, WelcomeSending},
		{WelcomeFailed, WelcomeFailed},
		{WelcomeOwed, WelcomeOwed},
		{WelcomeNotSent, WelcomeOwed},
	}
	for _, tt := range tests {
		t.Run(string(tt.before), func(t *testing.T) {
			m := member("E1", "a@example.com", StatusLeaver)
			m.Welcome = tt.before
			p := mustPlan(t, DefaultSettings(), DefaultMapping(), []Member{m}, rec("E1", "a@example.com", "LeavingDate", "2026-04-30"))
			if got := kinds(p); got != "reactivate:E1" {
				t.Fatalf("changes = %q", got)
			}
			if a := changeOf(p, "E1").After; a.Status != StatusInvited || a.Welcome != tt.want {
				t.Errorf("after = %s/%s, want invited/%s", a.Status, a.Welcome, tt.want)
			}
		})
	}
}

func TestMappingValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Mapping)
		want string // substring of the error, "" for valid
	}{
		{"default is valid", func(*Mapping) {}, ""},
		{"email must be mapped", func(m *Mapping) { delete(m.Fields, "email") }, "fields.email: email must be mapped"},
		{"unique key must be set", func(m *Mapping) { m.UniqueKey = "" }, "uniqueKey: choose"},
		{"bank details are never mapped", func(m *Mapping) { m.Fields["custom1"] = "BankDetail.AccountNumber" }, `"BankDetail.AccountNumber" is not a PeopleHR field`},
		{"bank detail top level", func(m *Mapping) { m.UniqueKey = "BankDetail" }, "uniqueKey"},
		{"unknown target", func(m *Mapping) { m.Fields["salary"] = "APIColumn1" }, `"salary" is not a member field`},
		{"nested only under contact and employment", func(m *Mapping) { m.Fields["custom1"] = "RightToWork.Document" }, "fields.custom1"},
		{"custom column is fine", func(m *Mapping) { m.Fields["custom1"] = "APIColumn5" }, ""},
		{"unknown top-level field is fine", func(m *Mapping) { m.Fields["custom2"] = "CostCentre" }, ""},
		{"employeeId must agree with uniqueKey", func(m *Mapping) { m.Fields["employeeId"] = "EmailId" }, "set uniqueKey instead"},
		{"injection in a path", func(m *Mapping) { m.Fields["custom1"] = "A; DROP" }, "fields.custom1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := DefaultMapping()
			tt.edit(&m)
			err := m.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidateScope(t *testing.T) {
	bad := []ScopeRule{
		{Source: "BankDetail.AccountNumber", Op: ScopeEquals, Values: []string{"1"}},
		{Source: "Location", Op: "like", Values: []string{"L%"}},
		{Source: "Location", Op: ScopeEquals, Values: []string{"a", "b"}},
		{Source: "Location", Op: ScopeIn},
		{Source: "Location", Op: ScopeIn, Values: []string{"ok", "bad\x00"}},
	}
	got := ValidateScope(bad)
	var fields []string
	for _, p := range got {
		fields = append(fields, p.Field)
	}
	want := "scope[0].source scope[1].op scope[2].values scope[3].values scope[4].values[1]"
	if strings.Join(fields, " ") != want {
		t.Fatalf("problems %v, want %s", fields, want)
	}
	if p := ValidateScope([]ScopeRule{{Source: "ContactDetail.Mobile", Op: ScopeNotEquals, Values: []string{""}}}); len(p) != 0 {
		t.Fatalf("a valid rule refused: %v", p)
	}
}

func TestIsActive(t *testing.T) {
	tests := []struct {
		status, leaving string
		want            bool
	}{
		{"1", "", true},
		{"", "", true},
		{"Active", "", true},
		{"1", "2026-03-11", true},
		{"1", today, false},
		{"1", "2026-03-09", false},
		{"Leaver marked", "2026-04-01", true},
		{"Left", "", false},
		{"0", "", false},
		{"Inactive", "2026-04-01", false},
	}
	for _, tt := range tests {
		if got := isActive(tt.status, tt.leaving, today); got != tt.want {
			t.Errorf("isActive(%q, %q) = %v, want %v", tt.status, tt.leaving, got, tt.want)
		}
	}
}
