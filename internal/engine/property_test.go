package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// apply is what a store does with a plan: each change's After replaces the
// member, a version higher.
func apply(members []Member, p Plan) []Member {
	out := slices.Clone(members)
	at := make(map[string]int, len(out))
	for i := range out {
		at[out[i].EmployeeID()] = i
	}
	for _, c := range p.Changes {
		if c.Kind == KindRelink {
			// The member leaves its old id for the new one.
			i := at[c.Before.EmployeeID()]
			out = append(out[:i], out[i+1:]...)
			clear(at)
			for j := range out {
				at[out[j].EmployeeID()] = j
			}
		}
		after := c.After
		after.Version++
		if i, ok := at[c.EmployeeID()]; ok {
			out[i] = after
			continue
		}
		at[c.EmployeeID()] = len(out)
		out = append(out, after)
	}
	return out
}

// assertNoRepeat plans again on the applied state: a run that has been
// applied has nothing left to do, which is what makes replays and resumes
// converge.
func assertNoRepeat(t *testing.T, s Settings, m Mapping, members []Member, first Plan, recs []Record) {
	t.Helper()
	if first.Held {
		return
	}
	again := mustPlan(t, s, m, apply(members, first), recs...)
	if len(again.Changes) != 0 {
		t.Errorf("planning on the applied state gave %d changes: %s", len(again.Changes), kinds(again))
	}
}

func TestPlanningTheAppliedStateIsEmpty(t *testing.T) {
	seen := map[Kind]int{}
	for seed := range uint64(400) {
		r := rand.New(rand.NewPCG(seed, 7))
		s := DefaultSettings()
		s.CloseMissingMembers = r.IntN(2) == 0
		s.WelcomeEmail = r.IntN(3) > 0
		s.WelcomeOnStartDate = r.IntN(2) == 0
		s.MassChangeThresholdPercent = 100
		s.DateFormat = "dd/MM/yyyy"
		m := DefaultMapping()
		m.Fields["dateOfBirth"] = "APIColumn1"
		members := randomMembers(r)
		recs := randomFeed(r)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			p := mustPlan(t, s, m, members, recs...)
			for _, c := range p.Changes {
				seen[c.Kind]++
			}
			assertNoRepeat(t, s, m, members, p, recs)
		})
	}
	everyKind(t, seen)
}

// everyKind checks that a property's random feeds reached every kind of
// change, relinks included, or the property says nothing about them.
func everyKind(t *testing.T, seen map[Kind]int) {
	t.Helper()
	for _, k := range []Kind{KindCreate, KindUpdate, KindClose, KindReactivate, KindRelink} {
		if seen[k] < 10 {
			t.Errorf("only %d %s changes over every seed", seen[k], k)
		}
	}
}

var pick = func(r *rand.Rand, xs ...string) string { return xs[r.IntN(len(xs))] }

func randomFeed(r *rand.Rand) []Record {
	n := r.IntN(25)
	out := make([]Record, n)
	for i := range out {
		// Ids beyond the stored ones and names shared across ids make
		// relinks; the names differ only invisibly or by normalisation.
		out[i] = rec(pick(r, fmt.Sprintf("E%d", r.IntN(20)), fmt.Sprintf("X%d", r.IntN(5))), fmt.Sprintf("u%d@example.com", r.IntN(12)),
			"FirstName", pick(r, "Zoë", "zoe\u0308", "Zo\u200bë", "Bo"),
			"LeavingDate", pick(r, "", "", "", "2026-01-01", today, "2026-09-01", "bad"),
			"EmployeeStatus", pick(r, "1", "1", "1", "Left", "Leaver marked"),
			"Department", pick(r, "", "Ops", "Sales", "Ops\r\nEast"),
			"APIColumn1", pick(r, "", "01/02/1990", "1990-02-01"),
			"StartDate", pick(r, "", "2026-01-05", today, "2026-05-01"),
		)
		if r.IntN(15) == 0 {
			out[i]["EmailId"] = pick(r, "", "nope")
		}
	}
	return out
}

func randomMembers(r *rand.Rand) []Member {
	var out []Member
	used := map[string]bool{}
	for i := range 20 {
		if r.IntN(2) == 0 {
			continue
		}
		status := []Status{StatusActive, StatusInvited, StatusLeaver}[r.IntN(3)]
		email := fmt.Sprintf("u%d@example.com", r.IntN(12))
		if status != StatusLeaver && used[email] {
			continue // the store keeps one holder per address
		}
		used[email] = status != StatusLeaver || used[email]
		m := member(fmt.Sprintf("E%d", i), email, status)
		m.Values.Set(FirstName, pick(r, "Zoë", "Bo"))
		m.Values.Set(Department, pick(r, "", "Ops"))
		m.Values.Set(DateOfBirth, pick(r, "", "1990-02-01"))
		m.Values.Set(StartDate, pick(r, "", "2026-05-01"))
		m.Values.Set(Title, pick(r, "", "Dr")) // unmapped: carried by every change
		if status == StatusInvited {
			m.Welcome = []Welcome{WelcomeOwed, WelcomeSent, WelcomeScheduled}[r.IntN(3)]
		}
		m.Accepted = r.IntN(2) == 0
		out = append(out, m)
	}
	return out
}
