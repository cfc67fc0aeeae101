package stack_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// waitFor polls cond every 100 ms until it holds or limit passes, and
// answers how long it took.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

// PeopleHR's notifications drive changes within a minute on the local
// stack, the sandbox posting them to the tenant's listener URL as PeopleHR
// would: a starter, a detail change, a leaver and a future leaver in one
// edit, notified twice and out of order, are applied by one change run
// reading each employee named (the future one still waits), and leave the
// table a full import makes; a burst of 200 notifications is a few reads
// of PeopleHR; a lost notification is caught by the next import; a wrong
// key changes and reads nothing.
func TestPeopleHRChangesApplyWithinAMinute(t *testing.T) {
	ctx := context.Background()
	feed := joinFeed()
	st := startWith(t, stack.Options{Employees: feed, Log: testLog(t)})
	st.StartConsumers(ctx)
	base := serveAPI(t, st)
	seedAcme(t, st)
	runImport(t, st)
	c := newClient(t, st, base, tenant, "admin@acme.example", &bytes.Buffer{})
	var l struct{ URL string }
	c.must(http.StatusCreated, http.MethodPost, "/integration/listener", nil, &l)
	if err := st.Sandbox.SetListener(l.URL); err != nil {
		t.Fatal(err)
	}
	changeRuns := func() []*integration.Run {
		runs, _, err := st.Store.ListRuns(ctx, tenant, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		var out []*integration.Run
		for _, r := range runs {
			if r.Trigger == integration.TriggerPeopleHRChange {
				out = append(out, r)
			}
		}
		return out
	}

	// One edit: a starter, a detail, a leaver today, a leaver next month,
	// its notifications duplicated and shuffled.
	st.Sandbox.SetNotifyFaults(peoplehrtest.NotifyFaults{Duplicate: 0.5, Reorder: 1}, 7)
	_, readsByID := st.Sandbox.Reads()
	today := time.Now().UTC().Format(time.DateOnly)
	feed = append(feed, emp("E004", "Dan", "dan@acme.example"))
	feed[0].JobRole = "Lead"
	feed[1] = left(feed[1], today)
	feed[2].LeavingDate = time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)
	st.Sandbox.SetEmployees(feed)
	took := waitFor(t, "the edit applied", time.Minute, func() bool {
		ms := members(t, st)
		_, created := ms["E004"]
		return created && ms["E001"].Values.Get(engine.JobTitle) == "Lead" && ms["E002"].Status == engine.StatusLeaver
	})
	t.Logf("a PeopleHR edit applied %v after it was made", took.Round(100*time.Millisecond))
	ms := members(t, st)
	if ms["E003"].Status == engine.StatusLeaver {
		t.Errorf("a leaver next month was closed today: %+v", ms["E003"])
	}
	// One run, or two when the edit's notifications straddle a window.
	st.Sandbox.WaitNotified()
	waitFor(t, "the edit's change runs finished", time.Minute, func() bool {
		rs := changeRuns()
		return len(rs) > 0 && rs[0].Status.Finished()
	})
	created, closed := 0, 0
	runs := changeRuns()
	for _, r := range runs {
		created, closed = created+r.Counts.Created, closed+r.Counts.Closed
		if r.Summary != integration.MailNone {
			t.Errorf("change run %s owes a summary", r.RunID)
		}
	}
	if len(runs) > 2 || created != 1 || closed != 1 {
		t.Fatalf("%d change runs creating %d and closing %d, want one or two, 1 created and 1 closed", len(runs), created, closed)
	}
	// Read one by one: the four named, once a window.
	if all, byID := st.Sandbox.Reads(); byID-readsByID < 4 || byID-readsByID > 4*len(runs) || all != 1 {
		t.Errorf("the edit's change runs read %d employees by id and everyone %d times since the first import, want 4 a run and none", byID-readsByID, all-1)
	}
	// What they left is what a full import makes: it finds nothing to do.
	st.Sandbox.SetNotifyFaults(peoplehrtest.NotifyFaults{}, 0)
	if run := runImport(t, st); run.Counts.Changed() {
		t.Errorf("the full import after the change runs changed %+v", run.Counts)
	}

	// A burst of 200 naming 50 employees (a payroll upload), duplicated
	// and shuffled: a few windows, each one read of everyone.
	st.Sandbox.WaitNotified()
	requests, earlier := st.Sandbox.Requests(), len(changeRuns())
	var ids []string
	for i := range 200 {
		ids = append(ids, fmt.Sprintf("E%03d", 1+i%50))
	}
	// All at once on moto some time out, as a burst against a slow
	// listener would: what is lost is the schedule's to catch.
	if err := st.Sandbox.NotifyBurst(ctx, ids); err != nil {
		t.Logf("burst: %v", err)
	}
	waitFor(t, "the burst's runs finished", time.Minute, func() bool {
		rs := changeRuns()
		return len(rs) > earlier && rs[0].Status.Finished()
	})
	// The burst's notifications spread over a window or two (some are
	// throttled, and PeopleHR sends them again a second later): each
	// window reads everyone once, or the few it named one by one.
	windows := len(changeRuns()) - earlier
	if calls := st.Sandbox.Requests() - requests; windows > 3 || calls > windows*integration.MaxTargetedReads {
		t.Errorf("a burst of 200 notifications made %d change runs and %d calls to PeopleHR, want a few of each (the rate limit is about 30 calls a minute)", windows, calls)
	}

	// A lost notification: the next import catches it.
	st.Sandbox.SetNotifyFaults(peoplehrtest.NotifyFaults{Drop: 1}, 1)
	feed[3].Department = "Support"
	st.Sandbox.SetEmployees(feed)
	st.Sandbox.WaitNotified()
	time.Sleep(500 * time.Millisecond)
	if members(t, st)["E004"].Values.Get(engine.Department) == "Support" {
		t.Fatal("a dropped notification was applied")
	}
	runImport(t, st)
	if members(t, st)["E004"].Values.Get(engine.Department) != "Support" {
		t.Error("the import after a lost notification did not apply it")
	}

	// A wrong key reads nothing and queues nothing.
	before, calls := len(changeRuns()), st.Sandbox.Requests()
	wrong := strings.Replace(l.URL, "key=", "key=x", 1)
	resp, err := http.Post(wrong, "application/json", strings.NewReader(`{"ActionId":3,"EmployeeId":"E001"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	time.Sleep(integration.ChangeWindow + 2*time.Second)
	if resp.StatusCode != http.StatusNotFound || len(changeRuns()) != before || st.Sandbox.Requests() != calls {
		t.Errorf("a wrong key: %d, %d change runs (was %d), %d PeopleHR calls (was %d)",
			resp.StatusCode, len(changeRuns()), before, st.Sandbox.Requests(), calls)
	}
}
