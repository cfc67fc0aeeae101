package stack_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
)

// A feed where most employees turned leavers is held with nothing applied
// and the admin emailed; approve applies exactly the held plan, and is
// refused while PeopleHR says something else; discard drops one.
func TestHeldRunApproveAndDiscardOverHTTP(t *testing.T) {
	clk := &clock{now: time.Now()}
	st := newStack(t, clk, staff(20), nil)
	st.StartConsumers(context.Background())
	base := serveAPI(t, st)
	var bodies bytes.Buffer
	c := newClient(t, st, base, tenant, "admin@acme.example", &bodies)
	c.must(200, "POST", "/integration/authorization", map[string]any{"apiKey": peoplehrtest.DefaultAPIKey}, nil)
	var run runJSON
	c.must(202, "POST", "/imports", nil, &run)
	if done, _ := waitRunHTTP(t, c, run.RunID); done.Counts["created"] != 20 {
		t.Fatalf("first import: %+v", done)
	}
	waitMail(t, st, run.RunID)
	if err := ses.Clear(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Most of the staff leave at once.
	leaving := func(n int) []peoplehrtest.Employee {
		es := staff(20)
		for i := range n {
			es[i] = left(es[i], time.Now().AddDate(0, 0, -1).Format(time.DateOnly))
		}
		return es
	}
	st.Sandbox.SetEmployees(leaving(12))
	c.must(202, "POST", "/imports", nil, &run)
	held, _ := waitRunHTTP(t, c, run.RunID)
	if held.Status != "held" || held.Counts["closed"] != 12 {
		t.Fatalf("want held with 12 closures: %+v", held)
	}
	// What it would close, a page at a time, as documented.
	var changes struct {
		Counts map[string]int
		Items  []struct {
			Action, EmployeeID, StatusBefore, Status string
		}
		NextCursor string
	}
	c.must(200, "GET", "/imports/"+held.RunID+"/changes?action=close&limit=10", nil, &changes)
	if changes.Counts["close"] != 12 || len(changes.Items) != 10 || changes.NextCursor == "" || changes.Items[0].Status != "leaver" {
		t.Fatalf("the held plan's first page of closures: %+v", changes)
	}
	c.must(200, "GET", "/imports/"+held.RunID+"/changes?action=close&limit=10&cursor="+changes.NextCursor, nil, &changes)
	if len(changes.Items) != 2 || changes.NextCursor != "" {
		t.Fatalf("the second page: %+v", changes)
	}
	var members struct{ Items []struct{ Status string } }
	c.must(200, "GET", "/members?status=leaver", nil, &members)
	if len(members.Items) != 0 {
		t.Fatalf("a held run closed %d members", len(members.Items))
	}
	waitMail(t, st, held.RunID)
	if sent := sentTo(t); sent["summary admin@acme.example"] != 1 {
		t.Errorf("the admin was not emailed about the held run: %v", sent)
	}

	// PeopleHR moved on: approving now would apply a stale plan.
	st.Sandbox.SetEmployees(leaving(13))
	status, body, _ := c.do("POST", "/imports/"+held.RunID+"/approve", nil)
	if status != 409 || !strings.Contains(string(body), "feed_changed") {
		t.Fatalf("approve on a changed feed = %d %s", status, body)
	}
	// Back as it was when held: approve applies exactly the plan.
	st.Sandbox.SetEmployees(leaving(12))
	var approval runJSON
	c.must(202, "POST", "/imports/"+held.RunID+"/approve", nil, &approval)
	done, _ := waitRunHTTP(t, c, approval.RunID)
	if done.Status != "succeeded" || done.Counts["closed"] != 12 {
		t.Fatalf("approval run: %+v", done)
	}
	c.must(200, "GET", "/members?status=leaver", nil, &members)
	if len(members.Items) != 12 {
		t.Errorf("%d leavers after approval, want 12", len(members.Items))
	}
	if status, _, _ := c.do("POST", "/imports/"+held.RunID+"/approve", nil); status != 409 {
		t.Errorf("a second approval = %d", status)
	}

	// Another mass change, discarded: nothing applied, the run says so.
	st.Sandbox.SetEmployees(nil)
	c.must(202, "POST", "/imports", nil, &run)
	if empty, _ := waitRunHTTP(t, c, run.RunID); empty.Status != "held" {
		t.Fatalf("an empty feed: %+v", empty)
	}
	var discarded struct{ Resolution string }
	c.must(200, "POST", "/imports/"+run.RunID+"/discard", nil, &discarded)
	if discarded.Resolution != "discarded by admin@acme.example" {
		t.Errorf("resolution %q", discarded.Resolution)
	}
	c.must(200, "GET", "/members?status=leaver", nil, &members)
	if len(members.Items) != 12 {
		t.Errorf("the discarded run changed members: %d leavers", len(members.Items))
	}
}
