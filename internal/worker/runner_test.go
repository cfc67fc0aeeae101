package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
	"github.com/peoplesync/peoplesync/internal/peoplehrtest"
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
			r := &runner{w: &Worker{feed: feed, now: time.Now}}
			_, err := r.fetch(context.Background(), tt.key, sync.DefaultMapping(), settings)
			var rf *runFailure
			if !errors.As(err, &rf) || rf.reason != tt.want {
				t.Errorf("fetch = %v, want the reason %q", err, tt.want)
			}
		})
	}
}
