package worker_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// changeRun runs the change run of the clock's window, its notifications
// having named ids.
func (e *env) changeRun(t *testing.T, ids ...string) *integration.Run {
	t.Helper()
	e.clk.Add(time.Minute)
	job := integration.ChangeJob(tenant, e.clk.Now())
	job.NotBefore = time.Time{} // its window closed: run at once
	for _, id := range ids {
		if err := e.store.NoteChange(context.Background(), tenant, job.RunID, id); err != nil {
			t.Fatal(err)
		}
	}
	run, err := e.w.Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// reads is how many calls the sandbox answered since the last look: every
// employee read, and one read by id.
func (e *env) reads(t *testing.T, since *[2]int) (all, byID int) {
	t.Helper()
	a, b := e.sandbox.Reads()
	all, byID = a-since[0], b-since[1]
	*since = [2]int{a, b}
	return all, byID
}

// membersByID are the members as a full import leaves them, without the
// bookkeeping of which run wrote them.
func membersByID(ms []engine.Member) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		out[m.EmployeeID()] = fmt.Sprintf("%v %s %s %s", m.Values, m.Status, m.LeftOn, m.Welcome)
	}
	return out
}

// A change run reads just the employees its notifications named, one by
// one, and applies what changed (a detail, a leaver, a new starter, a
// deletion; a leaving date ahead waits), saying nothing of the others; the
// next full import then finds nothing left to do. A window that named
// more than a few reads everyone, in one call.
func TestAChangeRunReadsTheNamedEmployees(t *testing.T) {
	feed := staff(20)
	e := newEnv(t, feed)
	in := e.integration(t)
	in.Settings.CloseMissingMembers = true
	if err := e.store.PutIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	var seen [2]int
	e.run(t, integration.SlotRunID(e.clk.Now()))
	e.reads(t, &seen)

	feed[1].Department = "Marketing"
	feed[2] = left(feed[2])
	feed[3].LeavingDate = "2026-06-30"
	starter := staff(21)[20]
	e.sandbox.SetEmployees(append(slices.Delete(slices.Clone(feed), 4, 5), starter))
	run := e.changeRun(t, "E002", "E003", "E004", "E005", "E021", "E002")
	want := engine.Counts{Created: 1, Updated: 1, Closed: 2, Unchanged: 1, Total: 4}
	if run.Status != integration.StatusSucceeded || run.Counts != want {
		t.Errorf("change run %s %+v, want %+v", run.Status, run.Counts, want)
	}
	if all, byID := e.reads(t, &seen); all != 0 || byID != 5 {
		t.Errorf("the change run read everyone %d times and %d by id, want 0 and 5", all, byID)
	}
	after := membersByID(e.members(t))
	if got := e.files[run.RunID]; len(got) != 0 {
		t.Errorf("issues of the change run: %+v, want none (it says nothing of the others)", got)
	}

	full := e.run(t, integration.SlotRunID(e.clk.Now().Add(time.Hour)))
	if full.Counts.Changed() {
		t.Errorf("the full import after the change run changed %+v: the change run left work undone", full.Counts)
	}
	if got := membersByID(e.members(t)); fmt.Sprint(got) != fmt.Sprint(after) {
		t.Errorf("the full import moved members the change run had settled:\n%v\n%v", got, after)
	}
	e.reads(t, &seen)

	var many []string
	for i := range integration.MaxTargetedReads + 1 {
		many = append(many, fmt.Sprintf("E%03d", i+1))
	}
	if run := e.changeRun(t, many...); run.Counts.Total != 20 {
		t.Errorf("a window of %d ids read %d records, want all 20", len(many), run.Counts.Total)
	}
	if all, byID := e.reads(t, &seen); all != 1 || byID != 0 {
		t.Errorf("a window of many ids: %d full reads and %d by id, want one full read", all, byID)
	}
}

// PeopleHR may change an employee's id and name only the new one: the
// change run reads the member holding its address and names, finds it
// gone, and moves it, as a full import would; a member still there keeps
// its address.
func TestAChangeRunRelinksAnIdChangedInPeopleHR(t *testing.T) {
	feed := staff(5)
	e := newEnv(t, feed)
	e.run(t, integration.SlotRunID(e.clk.Now()))
	moved := feed[2]
	moved.EmployeeID = "X003"
	twin := feed[3]
	twin.EmployeeID = "X004" // E004 is still there
	e.sandbox.SetEmployees([]peoplehrtest.Employee{feed[0], feed[1], moved, feed[3], twin, feed[4]})
	var seen [2]int
	e.reads(t, &seen)
	run := e.changeRun(t, "X003", "X004")
	if run.Counts.Updated != 1 || run.Counts.Created != 0 || run.Counts.Errors != 1 {
		t.Errorf("counts %+v, want the relink and the twin's error", run.Counts)
	}
	if _, byID := e.reads(t, &seen); byID != 4 {
		t.Errorf("%d reads by id, want 4: the two named and the two members holding their addresses", byID)
	}
	got := membersByID(e.members(t))
	if _, ok := got["X003"]; !ok || len(got) != 5 {
		t.Errorf("members %v, want E003 moved to X003", got)
	}
	if _, ok := got["E004"]; !ok {
		t.Errorf("E004 lost its membership to its twin: %v", got)
	}
}

// A key allowed to read every employee but not one by id still works: the
// change run reads everyone.
func TestAChangeRunWithAKeyThatReadsOnlyEveryone(t *testing.T) {
	feed := staff(3)
	e := newEnv(t, feed)
	e.sandbox.AddKey(peoplehrtest.DefaultAPIKey, peoplehrtest.PermissionAllOnly)
	e.run(t, integration.SlotRunID(e.clk.Now()))
	feed[0].Department = "Marketing"
	e.sandbox.SetEmployees(feed)
	run := e.changeRun(t, "E001")
	if run.Status != integration.StatusSucceeded || run.Counts.Updated != 1 || run.Counts.Total != 3 {
		t.Errorf("change run %s %q %+v, want E001 updated by a full read", run.Status, run.FailureReason, run.Counts)
	}
}

// The full import after change runs owes a summary of what they applied
// even when it changes nothing itself (and the tenant wants no email for
// an import that changes nothing); the one after it, with nothing new,
// owes none.
func TestTheImportAfterChangeRunsTellsOfThem(t *testing.T) {
	feed := staff(3)
	e := newEnv(t, feed)
	e.run(t, integration.SlotRunID(e.clk.Now()))
	feed[0].Department = "Marketing"
	e.sandbox.SetEmployees(feed)
	if run := e.changeRun(t, "E001"); run.Counts.Updated != 1 || run.Summary != integration.MailNone {
		t.Fatalf("change run %+v, summary %q", run.Counts, run.Summary)
	}
	e.clk.Add(time.Hour)
	if run := e.run(t, integration.SlotRunID(e.clk.Now())); run.Counts.Changed() || run.Summary != integration.MailOwed {
		t.Errorf("the import after the change run: %+v, summary %q, want none changed and a summary owed", run.Counts, run.Summary)
	}
	e.clk.Add(time.Hour)
	if run := e.run(t, integration.SlotRunID(e.clk.Now())); run.Summary != integration.MailNone {
		t.Errorf("the import after that: summary %q, want none", run.Summary)
	}
}
