package worker

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

func member(id, run string, kind engine.Kind, st engine.Status, w engine.Welcome) engine.Member {
	m := engine.Member{Status: st, Welcome: w, LastRunID: run, LastChange: kind}
	m.Values.Set(engine.EmployeeID, id)
	return m
}

// A resumed run's counts: what it applied before the interruption planned
// again as unchanged, and moves back to its kind.
func TestAppliedBeforeMovesCountsBack(t *testing.T) {
	members := []engine.Member{
		member("E1", "r1", engine.KindCreate, engine.StatusInvited, engine.WelcomeOwed),
		member("E2", "r1", engine.KindClose, engine.StatusLeaver, engine.WelcomeSent),
		member("E3", "r0", engine.KindUpdate, engine.StatusActive, engine.WelcomeSent),
		member("E4", "r1", engine.KindRelink, engine.StatusActive, engine.WelcomeSent),
	}
	c := engine.Counts{Created: 2, Unchanged: 10, Total: 12}
	appliedBefore(members, "r1").addTo(&c)
	want := engine.Counts{Created: 3, Closed: 1, Updated: 1, Unchanged: 7, Total: 12}
	if c != want {
		t.Fatalf("counts %+v, want %+v", c, want)
	}
}

func TestOwedWelcomesSkipLeaversAndSent(t *testing.T) {
	members := []engine.Member{
		member("E1", "", "", engine.StatusInvited, engine.WelcomeOwed),
		member("E2", "", "", engine.StatusLeaver, engine.WelcomeOwed),
		member("E3", "", "", engine.StatusInvited, engine.WelcomeSent),
		member("E4", "", "", engine.StatusInvited, engine.WelcomeScheduled),
	}
	if got := owedWelcomes(members); len(got) != 1 || got[0] != "E1" {
		t.Fatalf("owed %v", got)
	}
}

func TestReasonFor(t *testing.T) {
	before := member("OLD", "", "", engine.StatusActive, engine.WelcomeSent)
	after := member("NEW", "", "", engine.StatusLeaver, engine.WelcomeSent)
	after.LeftOn, after.PurgeOn = "2026-03-18", "2026-05-19"
	for _, tt := range []struct {
		kind   engine.Kind
		before *engine.Member
		want   string
	}{
		{engine.KindCreate, nil, "new in PeopleHR"},
		{engine.KindUpdate, &before, "changed in PeopleHR"},
		{engine.KindClose, &before, "left on 2026-03-18; account deleted on 2026-05-19"},
		{engine.KindReactivate, &before, "active again in PeopleHR"},
		{engine.KindRelink, &before, "employee id changed in PeopleHR from OLD"},
		{engine.KindUpdate, nil, "applied before the run was interrupted"},
	} {
		if got := reasonFor(tt.kind, &after, tt.before); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.kind, got, tt.want)
		}
	}
}

// A failed fetch tells the admin why in plain words: a rate limit apart
// from an outage, a refused key or a malformed answer. The client is the
// real one, against the sandbox, with its waits recorded, not slept.
func TestFetchFailureReasons(t *testing.T) {
	settings, err := integration.DefaultSettings().Sync()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		fault peoplehrtest.FaultKind
		key   string
		want  string
	}{
		{"rate limit through every wait", peoplehrtest.FaultRateLimited, peoplehrtest.DefaultAPIKey,
			"PeopleHR's rate limit (about 30 calls a minute) stayed in force for the whole run: the next run will try again"},
		{"HTTP 429 through every wait", peoplehrtest.FaultThrottle, peoplehrtest.DefaultAPIKey,
			"PeopleHR's rate limit (about 30 calls a minute) stayed in force for the whole run: the next run will try again"},
		{"outage through every attempt", peoplehrtest.FaultHTTP5xx, peoplehrtest.DefaultAPIKey,
			"PeopleHR could not be reached after several attempts: the next run will try again"},
		{"unknown key", 0, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "PeopleHR refused the API key: re-authorize with a valid key"},
		{"maintenance page", peoplehrtest.FaultNotJSON, peoplehrtest.DefaultAPIKey, "PeopleHR sent a malformed response (not the JSON it documents): the next run will try again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := peoplehrtest.New(peoplehrtest.Options{Employees: peoplehrtest.DemoEmployees()})
			t.Cleanup(sb.Close)
			if tt.fault != 0 {
				sb.InjectFault(peoplehrtest.Fault{Kind: tt.fault, Times: 20})
			}
			feed := peoplehr.New(sb.URL(), peoplehr.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
			r := &runner{w: &Worker{feed: feed, now: time.Now}, log: slog.New(slog.DiscardHandler)}
			// Every employee, and a change run's one by one.
			for _, targets := range [][]string{nil, {sb.Employees()[0].EmployeeID}} {
				_, err := r.fetch(context.Background(), tt.key, engine.DefaultMapping(), settings, targets)
				var rf *runFailure
				if !errors.As(err, &rf) || rf.reason != tt.want {
					t.Errorf("fetch of %v = %v, want the reason %q", targets, err, tt.want)
				}
			}
		})
	}
}

// The directory's totals as a plan leaves it: leavers are not members,
// joined members count once, and "since the last import" is after since.
func TestMemberTotals(t *testing.T) {
	since := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	joined := func(id string, at time.Time) engine.Member {
		m := member(id, "r0", engine.KindUpdate, engine.StatusActive, engine.WelcomeSent)
		m.Accepted, m.JoinedAt = true, at
		return m
	}
	members := []engine.Member{
		joined("J1", since.Add(-time.Hour)),  // before the last import
		joined("J2", since.Add(time.Hour)),   // since
		joined("J3", since.Add(2*time.Hour)), // since, and closed by this plan
		member("I1", "r0", engine.KindCreate, engine.StatusInvited, engine.WelcomeSent),
		member("L1", "r0", engine.KindClose, engine.StatusLeaver, engine.WelcomeSent),
	}
	closed := members[2]
	closed.Status = engine.StatusLeaver
	created := member("N1", "r1", engine.KindCreate, engine.StatusInvited, engine.WelcomeOwed)
	rehired := members[4]
	rehired.Status = engine.StatusActive
	changes := []engine.Change{
		{Kind: engine.KindClose, Before: &members[2], After: closed},
		{Kind: engine.KindCreate, After: created},
		{Kind: engine.KindReactivate, Before: &members[4], After: rehired},
	}
	for _, tc := range []struct {
		name    string
		changes []engine.Change
		want    integration.MemberTotals
	}{
		{"held: nothing applied", nil, integration.MemberTotals{Members: 4, Joined: 3, JoinedSinceLast: 2}},
		{"applied", changes, integration.MemberTotals{Members: 5, Joined: 2, JoinedSinceLast: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := memberTotals(members, tc.changes, since); *got != tc.want {
				t.Errorf("totals %+v, want %+v", *got, tc.want)
			}
		})
	}
}
