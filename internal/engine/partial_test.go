package engine

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// planPartial plans a partial feed of recs, with gone the ids PeopleHR no
// longer knows, as a change run does.
func planPartial(t *testing.T, s Settings, members []Member, gone []string, recs ...Record) Plan {
	t.Helper()
	p, err := NewPlanner(DefaultMapping(), s, now)
	if err != nil {
		t.Fatal(err)
	}
	p.Partial()
	for _, r := range recs {
		p.Add(r)
	}
	for _, id := range gone {
		p.Gone(id)
	}
	return p.Plan(members)
}

// A partial feed changes the members it names and says nothing of the
// others: no warning, no closure, however the tenant handles members
// missing from PeopleHR; only the ids named gone are missing.
func TestAPartialFeedSaysNothingOfTheOthers(t *testing.T) {
	others := []Member{member("E1", "a@example.com", StatusActive), member("E2", "b@example.com", StatusActive),
		member("E3", "c@example.com", StatusActive), member("E4", "d@example.com", StatusInvited)}
	tests := []struct {
		name          string
		closeMissing  bool
		gone          []string
		records       []Record
		kinds, issues string
		counts        Counts
	}{
		{name: "a detail changed", closeMissing: true,
			records: []Record{rec("E2", "b@example.com", "Department", "Sales")},
			kinds:   "update:E2", counts: Counts{Updated: 1, Total: 1}},
		{name: "a new starter",
			records: []Record{rec("N1", "n@example.com")},
			kinds:   "create:N1", counts: Counts{Created: 1, Total: 1}},
		{name: "a leaver marked", closeMissing: true,
			records: []Record{rec("E3", "c@example.com", "EmployeeStatus", "Left", "LeavingDate", "2026-03-01")},
			kinds:   "close:E3", counts: Counts{Closed: 1, Total: 1}},
		{name: "a leaver with a date still ahead waits",
			records: []Record{rec("E3", "c@example.com", "LeavingDate", "2026-04-30")},
			counts:  Counts{Unchanged: 1, Total: 1}},
		{name: "deleted, the tenant keeps missing members: a warning",
			gone:   []string{"E1"},
			issues: "0/E1//warning", counts: Counts{Warnings: 1}},
		{name: "deleted, the tenant closes missing members: closed", closeMissing: true,
			gone:  []string{"E1"},
			kinds: "close:E1", counts: Counts{Closed: 1}},
		{name: "a gone id that was never a member changes nothing", closeMissing: true,
			gone: []string{"Z9"}},
		{name: "moved out of scope: handled as missing", closeMissing: true,
			records: []Record{rec("E4", "d@example.com", "EmployeeStatus", "1", "Department", "Contractors")},
			kinds:   "close:E4", counts: Counts{Closed: 1, OutOfScope: 1, Total: 1}},
		{name: "an id changed in PeopleHR: the old one gone, the same person under the new one", closeMissing: true,
			gone:    []string{"E2"},
			records: []Record{rec("E2b", "b@example.com", "FirstName", "First E2")},
			kinds:   "relink:E2b", issues: "1/E2b/employeeId/warning", counts: Counts{Updated: 1, Warnings: 1, Total: 1}},
		{name: "a newcomer with the address of a member not read is refused, and the member kept", closeMissing: true,
			records: []Record{rec("N2", "b@example.com", "FirstName", "First E2")},
			issues:  "1/N2/email/error", counts: Counts{Errors: 1, Total: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			s.CloseMissingMembers = tt.closeMissing
			s.Scope = []ScopeRule{{Source: "Department", Op: ScopeEquals, Values: []string{"Contractors"}}}
			p := planPartial(t, s, others, tt.gone, tt.records...)
			if got := kinds(p); got != tt.kinds {
				t.Errorf("changes %q, want %q", got, tt.kinds)
			}
			if got := issues(p); got != tt.issues {
				t.Errorf("issues %q, want %q", got, tt.issues)
			}
			if p.Counts != tt.counts || p.Held {
				t.Errorf("counts %+v held %v (%s), want %+v", p.Counts, p.Held, p.HeldReason, tt.counts)
			}
			again := planPartial(t, s, apply(others, p), tt.gone, tt.records...)
			if len(again.Changes) != 0 {
				t.Errorf("planning on the applied state: %s", kinds(again))
			}
		})
	}
}

// A partial feed whose every id is gone read no record, and is no sign
// that PeopleHR lost everyone; closures across it still count.
func TestAPartialFeedOfGoneIdsIsNotAnEmptyPeopleHR(t *testing.T) {
	s := DefaultSettings()
	s.CloseMissingMembers = true
	var members []Member
	for i := range 50 {
		members = append(members, member(fmt.Sprintf("E%d", i), fmt.Sprintf("u%d@example.com", i), StatusActive))
	}
	if p := planPartial(t, s, members, []string{"E1"}); p.Held || p.Counts.Closed != 1 {
		t.Errorf("one deleted of 50: held %v (%s), %d closed", p.Held, p.HeldReason, p.Counts.Closed)
	}
	if p := planPartial(t, s, members, []string{"E1", "E2", "E3", "E4", "E5", "E6"}); !p.Held {
		t.Errorf("six deleted of 50 at 10%%: not held (%+v)", p.Counts)
	}
}

// The members a relink could move are the ones a change run must read
// before planning: holders of a newcomer's address with its names, not
// yet read nor known gone.
func TestRelinkCandidates(t *testing.T) {
	members := []Member{member("E1", "a@example.com", StatusActive), member("E2", "b@example.com", StatusActive),
		member("E3", "c@example.com", StatusLeaver)}
	p, err := NewPlanner(DefaultMapping(), DefaultSettings(), now)
	if err != nil {
		t.Fatal(err)
	}
	p.Add(rec("N1", "a@example.com", "FirstName", "First E1")) // E1's address and names
	p.Add(rec("N2", "b@example.com", "FirstName", "Other"))    // E2's address, not its names
	p.Add(rec("E2", "b@example.com"))                          // read already
	p.Add(rec("N3", "c@example.com", "FirstName", "First E3")) // a leaver holds no address
	if got := p.RelinkCandidates(members); got != nil {
		t.Errorf("a full feed has no candidates: %v", got)
	}
	p.Partial()
	if got := p.RelinkCandidates(members); !slices.Equal(got, []string{"E1"}) {
		t.Errorf("candidates %v, want E1", got)
	}
	p.Gone("E1")
	if got := p.RelinkCandidates(members); len(got) != 0 {
		t.Errorf("candidates once E1 is known gone: %v", got)
	}
}

// A change run converges on what a full import makes: starting from the
// table a full import of one feed left, the partial feed of the employees
// that changed in the next (the ids PeopleHR's notifications name, those
// deleted named gone, and the relink candidates read as the worker reads
// them) leaves the members exactly as a full import of the next feed.
func TestAPartialFeedConvergesOnTheFullImport(t *testing.T) {
	seen := map[Kind]int{}
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 16))
		s := DefaultSettings()
		s.MassChangeThresholdPercent = 100
		s.CloseMissingMembers, s.WelcomeOnStartDate = r.IntN(2) == 0, r.IntN(2) == 0
		before := uniqueFeed(r)
		after, named := nextFeed(r, before)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			// Everyone joined once; some have left since.
			hired := sortedRecords(before)
			for i := range hired {
				hired[i] = maps.Clone(hired[i])
				hired[i]["EmployeeStatus"] = "1"
			}
			base := apply(nil, mustPlan(t, s, DefaultMapping(), nil, hired...))
			base = apply(base, mustPlan(t, s, DefaultMapping(), base, sortedRecords(before)...))
			full := mustPlan(t, s, DefaultMapping(), base, sortedRecords(after)...)

			p, err := NewPlanner(DefaultMapping(), s, now)
			if err != nil {
				t.Fatal(err)
			}
			p.Partial()
			read := func(id string) {
				if rec, ok := after[id]; ok {
					p.Add(rec)
				} else {
					p.Gone(id)
				}
			}
			// As the store gives them to the run: once each, sorted.
			for _, id := range slices.Compact(slices.Sorted(slices.Values(named))) {
				read(id)
			}
			for _, id := range p.RelinkCandidates(base) {
				read(id)
			}
			partial := p.Plan(base)
			for _, c := range partial.Changes {
				seen[c.Kind]++
			}
			if got, want := table(apply(base, partial)), table(apply(base, full)); got != want {
				t.Errorf("named %v\npartial: %s\nfull:    %s\nmembers after the partial feed:\n%s\nafter the full import:\n%s",
					named, kinds(partial), kinds(full), got, want)
			}
		})
	}
	everyKind(t, seen)
}

// uniqueFeed is a feed of distinct ids and addresses, as a full import
// leaves it without errors: what the next feed then changes is what the
// property is about.
func uniqueFeed(r *rand.Rand) map[string]Record {
	out := map[string]Record{}
	for i := range 15 {
		if r.IntN(4) == 0 {
			continue
		}
		id := fmt.Sprintf("E%d", i)
		out[id] = rec(id, fmt.Sprintf("u%d@example.com", i),
			"FirstName", pick(r, "Zoë", "Bo"),
			"Department", pick(r, "", "Ops"),
			"EmployeeStatus", pick(r, "1", "1", "1", "Left"),
			"StartDate", pick(r, "", "2026-01-05", "2026-05-01"))
	}
	return out
}

// nextFeed changes some employees of feed as PeopleHR's users would, and
// names the ids its notifications would carry.
func nextFeed(r *rand.Rand, feed map[string]Record) (map[string]Record, []string) {
	next := map[string]Record{}
	var named []string
	for _, id := range slices.Sorted(maps.Keys(feed)) {
		rec := maps.Clone(feed[id])
		switch r.IntN(9) {
		case 0:
			rec["Department"] = pick(r, "Sales", "")
		case 1:
			rec["EmailId"] = fmt.Sprintf("u%d@example.com", r.IntN(20)) // maybe another's
		case 2:
			rec["EmployeeStatus"], rec["LeavingDate"] = "Left", pick(r, "2026-03-01", "")
		case 3:
			rec["LeavingDate"] = "2026-06-30" // leaving later: still active
		case 4:
			rec["EmployeeStatus"], rec["LeavingDate"] = "1", "" // rehired, or unchanged
		case 5:
			named = append(named, id) // deleted
			continue
		case 6:
			// The id changed: the same person under a new id. PeopleHR
			// may name the old one (deleted) or only the new.
			if r.IntN(2) == 0 {
				named = append(named, id)
			}
			id = "R" + id
			rec["EmployeeId"] = id
		default:
			next[id] = rec
			continue
		}
		next[id] = rec
		named = append(named, id)
	}
	for i := range r.IntN(4) {
		id := fmt.Sprintf("N%d", i)
		next[id] = rec(id, fmt.Sprintf("u%d@example.com", r.IntN(20)), "FirstName", pick(r, "Zoë", "Bo"))
		named = append(named, id)
	}
	// PeopleHR's notifications come in any order, some twice.
	r.Shuffle(len(named), func(i, j int) { named[i], named[j] = named[j], named[i] })
	if len(named) > 0 {
		named = append(named, named[0])
	}
	return next, named
}

func sortedRecords(feed map[string]Record) []Record {
	var out []Record
	for _, id := range slices.Sorted(maps.Keys(feed)) {
		out = append(out, feed[id])
	}
	return out
}

// table is the members as a store keeps them, by id, without versions.
func table(members []Member) string {
	slices.SortFunc(members, func(a, b Member) int {
		return strings.Compare(a.EmployeeID(), b.EmployeeID())
	})
	out := ""
	for _, m := range members {
		out += fmt.Sprintf("%s %v %s %s %s %s\n", m.EmployeeID(), m.Values, m.Status, m.Welcome, m.LeftOn, m.PurgeOn)
	}
	return out
}
