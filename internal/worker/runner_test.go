package worker

import (
	"testing"

	"github.com/peoplesync/peoplesync/internal/sync"
)

func member(id, run string, kind sync.Kind, st sync.Status, w sync.Welcome) sync.Member {
	m := sync.Member{Status: st, Welcome: w, LastRunID: run, LastChange: kind}
	m.Values[sync.EmployeeID] = id
	return m
}

// A resumed run's counts: what it applied before the interruption planned
// again as unchanged, and moves back to its kind.
func TestAppliedBeforeMovesCountsBack(t *testing.T) {
	members := []sync.Member{
		member("E1", "r1", sync.KindCreate, sync.StatusInvited, sync.WelcomeOwed),
		member("E2", "r1", sync.KindClose, sync.StatusLeaver, sync.WelcomeSent),
		member("E3", "r0", sync.KindUpdate, sync.StatusActive, sync.WelcomeSent),
		member("E4", "r1", sync.KindRelink, sync.StatusActive, sync.WelcomeSent),
	}
	c := sync.Counts{Created: 2, Unchanged: 10, Total: 12}
	appliedBefore(members, "r1").addTo(&c)
	want := sync.Counts{Created: 3, Closed: 1, Updated: 1, Unchanged: 7, Total: 12}
	if c != want {
		t.Fatalf("counts %+v, want %+v", c, want)
	}
}

func TestOwedWelcomesSkipLeaversAndSent(t *testing.T) {
	members := []sync.Member{
		member("E1", "", "", sync.StatusInvited, sync.WelcomeOwed),
		member("E2", "", "", sync.StatusLeaver, sync.WelcomeOwed),
		member("E3", "", "", sync.StatusInvited, sync.WelcomeSent),
		member("E4", "", "", sync.StatusInvited, sync.WelcomeScheduled),
	}
	if got := owedWelcomes(members); len(got) != 1 || got[0] != "E1" {
		t.Fatalf("owed %v", got)
	}
}

func TestReasonFor(t *testing.T) {
	before := member("OLD", "", "", sync.StatusActive, sync.WelcomeSent)
	after := member("NEW", "", "", sync.StatusLeaver, sync.WelcomeSent)
	after.LeftOn, after.PurgeOn = "2026-03-18", "2026-05-19"
	for _, tt := range []struct {
		kind   sync.Kind
		before *sync.Member
		want   string
	}{
		{sync.KindCreate, nil, "new in PeopleHR"},
		{sync.KindUpdate, &before, "changed in PeopleHR"},
		{sync.KindClose, &before, "left on 2026-03-18; account deleted on 2026-05-19"},
		{sync.KindReactivate, &before, "active again in PeopleHR"},
		{sync.KindRelink, &before, "employee id changed in PeopleHR from OLD"},
		{sync.KindUpdate, nil, "applied before the run was interrupted"},
	} {
		if got := reasonFor(tt.kind, &after, tt.before); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.kind, got, tt.want)
		}
	}
}
