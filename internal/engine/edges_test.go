package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// SPEC 2.5: "if a run would close more than the tenant's threshold
// (default 10% of active members, at least 5) ... the run is held". More
// than is compared exactly: no rounding in the run's favour.
func TestMassChangeThresholdIsExact(t *testing.T) {
	tests := []struct {
		active, pct, closes int
		held                bool
	}{
		{55, 10, 6, true}, // 6 > 5.5: held, though 10% rounds up to 6
		{55, 10, 5, false},
		{50, 10, 5, false}, // exactly 10%
		{50, 10, 6, true},
		{60, 10, 6, false},
		{60, 10, 7, true},
		{101, 10, 11, true}, // 11 > 10.1
		{109, 10, 11, true}, // 11 > 10.9
		{110, 10, 11, false},
		{20, 10, 5, false}, // the floor of 5 applies: 10% of 20 is 2
		{20, 10, 6, true},
		{1000, 1, 10, false},
		{1000, 1, 11, true},
		{33, 15, 5, false}, // 4.95, floor 5
		{33, 15, 6, true},
		{100, 1, 5, false}, // the lowest threshold still allows the floor
		{100, 1, 6, true},
		{10, 100, 10, false}, // everyone may go at 100%
		{7, 50, 6, true},     // 6 > 3.5 and > 5
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d of %d at %d%%", tt.closes, tt.active, tt.pct), func(t *testing.T) {
			s := DefaultSettings()
			s.MassChangeThresholdPercent = tt.pct
			p := mustPlan(t, s, DefaultMapping(), activeMembers(tt.active), feedWithLeavers(tt.active, tt.closes)...)
			if p.Counts.Closed != tt.closes {
				t.Fatalf("closed %d", p.Counts.Closed)
			}
			if p.Held != tt.held {
				t.Fatalf("held = %v (%q), want %v", p.Held, p.HeldReason, tt.held)
			}
			if tt.held && !strings.Contains(p.HeldReason, fmt.Sprintf("%d of %d active members", tt.closes, tt.active)) {
				t.Errorf("reason %q", p.HeldReason)
			}
		})
	}
	s := DefaultSettings()
	if p := mustPlan(t, s, DefaultMapping(), activeMembers(55), feedWithLeavers(55, 6)...); !strings.Contains(p.HeldReason, "the limit of 5.5 (10%") {
		t.Errorf("the limit is shown exactly: %q", p.HeldReason)
	}
}

// Closures already made by the day's change runs count with the plan's, of
// the members active before them: 4 and then 4 of 50 at 10% is 8 of 50,
// held, where 4 of 46 alone would not be.
func TestClosuresAcrossChangeRunsAreHeldTogether(t *testing.T) {
	for _, tt := range []struct {
		before, closes int
		held           bool
		reason         string
	}{
		{0, 4, false, ""},
		{4, 4, true, "8 of 50 active members"},
		{1, 4, false, ""}, // 5 of 50: exactly 10%, and the floor
		{-3, 4, false, ""},
	} {
		t.Run(fmt.Sprintf("%d then %d", tt.before, tt.closes), func(t *testing.T) {
			active := 50 - max(0, tt.before)
			p, err := NewPlanner(DefaultMapping(), DefaultSettings(), now)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range feedWithLeavers(active, tt.closes) {
				p.Add(r)
			}
			p.AlsoClosed(tt.before)
			plan := p.Plan(activeMembers(active))
			if plan.Held != tt.held || !strings.Contains(plan.HeldReason, tt.reason) {
				t.Errorf("held %v (%q), want %v (%q)", plan.Held, plan.HeldReason, tt.held, tt.reason)
			}
		})
	}
}

// SPEC 2.3 "employee id change" (README, id changes): a relinked member is
// brought in step exactly as an update would be, and keeps what an update
// keeps.
func TestRelinkMovesTheMemberWhole(t *testing.T) {
	stored := func(welcome Welcome, start string) Member {
		m := member("E1", "ann@example.com", StatusInvited)
		m.Values.Set(FirstName, "Zoë")
		m.Values.Set(LastName, "O'Brien")
		m.Values.Set(Title, "Dr")               // unmapped: kept
		m.Values.Set(DateOfBirth, "1990-05-04") // the record's text date will not parse: kept
		m.Values.Set(Department, "Ops")         // mapped: the record's value wins
		m.Values.Set(StartDate, start)
		m.Welcome, m.Accepted = welcome, false
		m.CreatedAt = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
		m.LastRunID = "R0"
		return m
	}
	mapping := DefaultMapping()
	mapping.Fields["dateOfBirth"] = "APIColumn1"
	settings := DefaultSettings()
	settings.DateFormat = "dd/MM/yyyy"
	settings.WelcomeOnStartDate = true
	record := func(start string) Record {
		// Decomposed ë and another case: the same name once normalised.
		return rec("X1", "ANN@example.com", "FirstName", "zoe\u0308", "LastName", "o'brien",
			"APIColumn1", "not a date", "Department", "Sales", "StartDate", start)
	}
	tests := []struct {
		name        string
		member      Member
		start       string
		wantWelcome Welcome
	}{
		{"a scheduled welcome whose start date has passed becomes owed", stored(WelcomeScheduled, "2026-03-01"), "2026-03-01", WelcomeOwed},
		{"a scheduled welcome whose start date is ahead stays scheduled", stored(WelcomeScheduled, "2026-04-01"), "2026-04-01", WelcomeScheduled},
		{"a start date moved into the past makes the welcome owed", stored(WelcomeScheduled, "2026-04-01"), "2026-03-02", WelcomeOwed},
		{"a sent welcome stays sent", stored(WelcomeSent, "2026-01-01"), "2026-01-01", WelcomeSent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			members := []Member{tt.member}
			recs := []Record{record(tt.start)}
			p := mustPlan(t, settings, mapping, members, recs...)
			if got := kinds(p); got != "relink:X1" {
				t.Fatalf("changes %q, issues %q", got, issues(p))
			}
			if got := issues(p); got != "1/X1/dateOfBirth/warning 1/X1/employeeId/warning" {
				t.Errorf("issues %q", got)
			}
			c := changeOf(p, "X1")
			a := c.After
			if a.Values.Get(Title) != "Dr" || a.Values.Get(DateOfBirth) != "1990-05-04" || a.Values.Get(Department) != "Sales" || a.Values.Get(StartDate) != tt.start {
				t.Errorf("values %q", a.Values.Unpack())
			}
			if a.Values.Get(FirstName) != "zoe\u0308" || a.EmployeeID() != "X1" || c.Before.EmployeeID() != "E1" {
				t.Errorf("names and ids: %q %q", a.Values.Get(FirstName), a.EmployeeID())
			}
			if a.Welcome != tt.wantWelcome || a.Status != StatusInvited || !a.CreatedAt.Equal(tt.member.CreatedAt) || a.Version != tt.member.Version {
				t.Errorf("welcome %s status %s created %v version %d", a.Welcome, a.Status, a.CreatedAt, a.Version)
			}
			for _, f := range c.Fields {
				if f == Title || f == DateOfBirth {
					t.Errorf("a kept field is listed as changed: %s", f)
				}
			}
			assertNoRepeat(t, settings, mapping, members, p, recs)
		})
	}
}

// SPEC 2.2 "the same email on two different employees -> row error on the
// later ones": later by right to the address, not by feed position. A
// stored member that keeps its email holds it wherever it is listed.
func TestWhoOwnsAnAddress(t *testing.T) {
	withDept := func(m Member, d string) Member { m.Values.Set(Department, d); return m }
	inconsistent := []Member{ // two members holding one address: only a store out of step has this
		member("E1", "a@example.com", StatusActive),
		member("E2", "a@example.com", StatusActive),
	}
	runPlanCases(t, []planCase{
		{
			name:    "a newcomer listed before the holder is refused; the holder's other changes apply",
			members: []Member{withDept(member("E1", "a@example.com", StatusActive), "Ops")},
			records: []Record{rec("N1", "a@example.com"), rec("E1", "a@example.com", "Department", "Sales")},
			counts:  Counts{Updated: 1, Errors: 1, Total: 2},
			kinds:   "update:E1",
			issues:  "1/N1/email/error",
			check: func(t *testing.T, p Plan) {
				if !strings.Contains(p.Issues[0].Message, "employee E1") {
					t.Errorf("message %q", p.Issues[0].Message)
				}
			},
		},
		{
			name:    "a newcomer listed after the holder is refused too",
			members: []Member{withDept(member("E1", "a@example.com", StatusActive), "Ops")},
			records: []Record{rec("E1", "a@example.com", "Department", "Sales"), rec("N1", "a@example.com")},
			counts:  Counts{Updated: 1, Errors: 1, Total: 2},
			kinds:   "update:E1",
			issues:  "2/N1/email/error",
		},
		{
			name:    "a member closing gives its address up to a newcomer listed first",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("N1", "a@example.com"), rec("E1", "a@example.com", "EmployeeStatus", "Left")},
			counts:  Counts{Created: 1, Closed: 1, Total: 2},
			kinds:   "create:N1 close:E1",
		},
		{
			name:    "a rehired leaver takes back its address before a newcomer listed first",
			members: []Member{member("E1", "a@example.com", StatusLeaver)},
			records: []Record{rec("N1", "a@example.com"), rec("E1", "a@example.com")},
			counts:  Counts{Reactivated: 1, Errors: 1, Total: 2},
			kinds:   "reactivate:E1",
			issues:  "1/N1/email/error",
		},
		{
			name:    "two records could relink to one gone member: the one with its names wins, listed second",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("X1", "a@example.com", "FirstName", "Someone Else"), rec("X2", "a@example.com", "FirstName", "First E1")},
			counts:  Counts{Updated: 1, Errors: 1, Warnings: 1, Total: 2},
			kinds:   "relink:X2",
			issues:  "1/X1/email/error 2/X2/employeeId/warning",
		},
		{
			name:    "two records with the gone member's names: the first relinks, the second is refused",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("X1", "a@example.com", "FirstName", "First E1"), rec("X2", "a@example.com", "FirstName", "First E1")},
			counts:  Counts{Updated: 1, Errors: 1, Warnings: 1, Total: 2},
			kinds:   "relink:X1",
			issues:  "1/X1/employeeId/warning 2/X2/email/error",
		},
		{
			name:    "a refused relink never says it relinked, and the old id is still missing",
			members: inconsistent,
			records: []Record{rec("X1", "a@example.com", "FirstName", "First E1"), rec("E2", "a@example.com")},
			counts:  Counts{Unchanged: 1, Errors: 1, Warnings: 1, Total: 2},
			issues:  "0/E1//warning 1/X1/email/error",
			check: func(t *testing.T, p Plan) {
				for _, is := range p.Issues {
					if strings.Contains(is.Message, "moved") || strings.Contains(is.Message, "changed from") {
						t.Errorf("a refused relink is reported: %q", is.Message)
					}
				}
			},
		},
		{
			name:     "a refused relink's old id is closed when the tenant closes missing members",
			settings: func(s *Settings) { s.CloseMissingMembers = true },
			members:  inconsistent,
			records:  []Record{rec("X1", "a@example.com", "FirstName", "First E1"), rec("E2", "a@example.com")},
			counts:   Counts{Unchanged: 1, Closed: 1, Errors: 1, Total: 2},
			kinds:    "close:E1",
			issues:   "1/X1/email/error",
		},
	})
}

// SPEC 2.2 "values are trimmed of surrounding white space", taken to every
// character a person cannot see.
func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Ann  ", "Ann"},
		{"\u00a0Ann\u3000", "Ann"},
		{"\ufeffE1", "E1"},
		{"An\u200bn", "Ann"},
		{"An\u200cn\u200d", "Ann"},
		{"Ann\u2060", "Ann"},
		{"Jo\u00adhn", "John"},
		{"Ann\r\nSmith", "Ann Smith"},
		{"Ann\nSmith", "Ann Smith"},
		{"Ann\tSmith", "Ann Smith"},
		{"Ann \n\t Smith", "Ann Smith"},
		{"Ann\u2028Smith", "Ann Smith"},
		{"Ann\u0085Smith", "Ann Smith"},
		{"Ann\n", "Ann"},
		{"\tAnn", "Ann"},
		{"Ann  Smith", "Ann  Smith"}, // spaces typed as such are the value's own
		{"Ann\x00ie", "Annie"},
		{"\x1b[31mAnn", "[31mAnn"},
		{"Ann\xff\xfeie", "Annie"},
		{"O\u200fBrien", "O\u200fBrien"}, // bidi marks are part of names in some scripts
		{"\u200eAnn\u061c", "\u200eAnn\u061c"},
		{"Ann\u202eelgoog", "Annelgoog"}, // overrides and embeddings reorder what follows
		{"\u202aA\u202bn\u202cn\u202d", "Ann"},
		{"\u2066A\u2067n\u2068n\u2069", "Ann"}, // isolates
		{"王伟", "王伟"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// SPEC 2.2 "emails ... not a valid address -> row error": a domain is a
// host name once in its ASCII form.
func TestValidEmailDomain(t *testing.T) {
	tests := []struct {
		email string
		ok    bool
	}{
		{"ann@example.com", true},
		{"ann.o'brien+perks@mail.example.co.uk", true},
		{"ann@bücher.example", true},
		{"ann@xn--bcher-kva.example", true},
		{"ann@münchen.de", true},
		{"ann@exa_mple.com", false},
		{"ann@exa!mple.com", false},
		{"ann@exa$mple.com", false},
		{"ann@[192.0.2.1]", false},
		{"ann@-example.com", false},
		{"ann@example-.com", false},
		{"ann@example..com", false},
		{"ann@.example.com", false},
		{"ann@example.com.", false},
		{"ann@localhost", false},
		{"Ann <ann@example.com>", false},
		{"@example.com", false},
	}
	for _, tt := range tests {
		if got := ValidEmail(tt.email); got != tt.ok {
			t.Errorf("ValidEmail(%q) = %v, want %v", tt.email, got, tt.ok)
		}
	}
}

// SPEC 2.2, for every value ids and emails included, and the rules that
// say which issues a record gets.
func TestTextHygieneAndIssues(t *testing.T) {
	longTitle := strings.Repeat("a", 29) + " and more" // the 30th character is a space
	scope := func(s *Settings) {
		s.Scope = []ScopeRule{{Source: "EmploymentType", Op: ScopeEquals, Values: []string{"Contractor"}}}
	}
	runPlanCases(t, []planCase{
		{
			name:    "an id and an email with invisible characters are the stored member's",
			members: []Member{member("E1", "ann@example.com", StatusActive)},
			records: []Record{rec("\ufeffE1\u200b", "ann\u200b@example.com\u2060")},
			counts:  Counts{Unchanged: 1, Total: 1},
		},
		{
			name:    "a name with a zero-width joiner is not a change",
			members: []Member{member("E1", "ann@example.com", StatusActive)},
			records: []Record{rec("E1", "ann@example.com", "FirstName", "First\u200d E1")},
			counts:  Counts{Unchanged: 1, Total: 1},
		},
		{
			name:    "a line break inside a value becomes one space",
			records: []Record{rec("E1", "a@example.com", "JobRole", "Head of\r\nSales", "Department", "Ops\t\tEast")},
			kinds:   "create:E1",
			counts:  Counts{Created: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				if v := changeOf(p, "E1").After.Values; v.Get(JobTitle) != "Head of Sales" || v.Get(Department) != "Ops East" {
					t.Errorf("%q %q", v.Get(JobTitle), v.Get(Department))
				}
			},
		},
		{
			name:    "a value cut to its limit has no trailing space",
			mapping: func(m *Mapping) { m.Fields["title"] = "Title" },
			records: []Record{rec("E1", "a@example.com", "Title", longTitle)},
			kinds:   "create:E1",
			issues:  "1/E1/title/warning",
			counts:  Counts{Created: 1, Warnings: 1, Total: 1},
			check: func(t *testing.T, p Plan) {
				if v := changeOf(p, "E1").After.Values.Get(Title); v != strings.Repeat("a", 29) {
					t.Errorf("title %q", v)
				}
			},
		},
		{
			name:    "an email whose domain is not a host name is a row error",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E1", "a@exa_mple.com"), rec("E2", "b@[192.0.2.1]")},
			issues:  "1/E1/email/error 2/E2/email/error",
			counts:  Counts{Errors: 2, Total: 2},
		},
		{
			name:     "an id twice in the feed errs on both copies, one of them out of scope",
			settings: scope,
			members:  []Member{member("E1", "a@example.com", StatusActive)},
			records:  []Record{rec("E1", "a@example.com", "EmploymentType", "Contractor"), rec("E1", "a@example.com", "Department", "Sales")},
			issues:   "1/E1/employeeId/error 2/E1/employeeId/error",
			counts:   Counts{Errors: 2, Total: 2},
		},
		{
			name:     "a duplicate id out of scope leaves the member alone, even when missing members are closed",
			settings: func(s *Settings) { scope(s); s.CloseMissingMembers = true },
			members:  []Member{member("E1", "a@example.com", StatusActive)},
			records:  []Record{rec("E1", "a@example.com", "Department", "Sales"), rec("E1", "a@example.com", "EmploymentType", "Contractor")},
			issues:   "1/E1/employeeId/error 2/E1/employeeId/error",
			counts:   Counts{Errors: 2, Total: 2},
		},
		{
			name:    "a record skipped for its email gets no warning for a cut value",
			records: []Record{rec("E1", "not-an-email", "FirstName", strings.Repeat("x", 150), "LastName", strings.Repeat("y", 150))},
			issues:  "1/E1/email/error",
			counts:  Counts{Errors: 1, Total: 1},
		},
		{
			name:     "a record skipped for a duplicate id gets no warning for an unreadable date",
			settings: func(s *Settings) { s.DateFormat = "dd/MM/yyyy" },
			mapping:  func(m *Mapping) { m.Fields["dateOfBirth"] = "APIColumn1" },
			records:  []Record{rec("E1", "a@example.com", "APIColumn1", "never"), rec("E1", "b@example.com")},
			issues:   "1/E1/employeeId/error 2/E1/employeeId/error",
			counts:   Counts{Errors: 2, Total: 2},
		},
		{
			name:    "a record refused for a taken address gets no warning for a cut value",
			members: []Member{member("E1", "a@example.com", StatusActive)},
			records: []Record{rec("E2", "a@example.com", "FirstName", strings.Repeat("x", 150)), rec("E1", "a@example.com")},
			issues:  "1/E2/email/error",
			counts:  Counts{Unchanged: 1, Errors: 1, Total: 2},
		},
		{
			name:    "a leaver never created gets no warning for a cut value",
			records: []Record{rec("E1", "a@example.com", "EmployeeStatus", "Left", "FirstName", strings.Repeat("x", 150))},
			counts:  Counts{SkippedLeavers: 1, Total: 1},
		},
		{
			name:    "an applied record keeps its warnings",
			records: []Record{rec("E1", "a@example.com", "FirstName", strings.Repeat("x", 150))},
			kinds:   "create:E1",
			issues:  "1/E1/firstName/warning",
			counts:  Counts{Created: 1, Warnings: 1, Total: 1},
		},
	})
}

// SPEC 2.3 "deletion of the account 60 days later": the planner decides the
// day and the instant it begins in the tenant's zone, so the store needs no
// zone to let the item expire.
func TestPurgeIsDecidedByThePlanner(t *testing.T) {
	tests := []struct {
		zone string
		want time.Time
	}{
		// 60 days after 2026-03-10 is 2026-05-09, in British Summer Time.
		{"Europe/London", time.Date(2026, 5, 8, 23, 0, 0, 0, time.UTC)},
		// Already the 11th in Sydney at now: 2026-05-10 begins at 14:00Z the day before.
		{"Australia/Sydney", time.Date(2026, 5, 9, 14, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			s := DefaultSettings()
			s.Location = mustZone(t, tt.zone)
			p := mustPlan(t, s, DefaultMapping(), []Member{member("E1", "a@example.com", StatusActive)},
				rec("E1", "a@example.com", "EmployeeStatus", "Left"))
			a := changeOf(p, "E1").After
			if !a.PurgeAt.Equal(tt.want) || a.PurgeOn != tt.want.In(s.Location).Format(time.DateOnly) {
				t.Errorf("purge %s at %v, want %v", a.PurgeOn, a.PurgeAt.UTC(), tt.want)
			}
			back := mustPlan(t, s, DefaultMapping(), apply(nil, p), rec("E1", "a@example.com"))
			if r := changeOf(back, "E1").After; r.PurgeOn != "" || !r.PurgeAt.IsZero() {
				t.Errorf("a rehire keeps its purge: %s %v", r.PurgeOn, r.PurgeAt)
			}
		})
	}
	m := Member{PurgeOn: "2026-05-09"}
	PlanPurge(&m, mustZone(t, "Europe/London"))
	if !m.PurgeAt.Equal(time.Date(2026, 5, 8, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("a held leaver planned with the date alone gets %v", m.PurgeAt)
	}
}
