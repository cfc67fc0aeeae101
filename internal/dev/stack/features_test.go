package stack_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// Scoping over the API: contractors are never created and counted out of
// scope; a member who becomes a contractor is handled as missing.
func TestScopeFilterOverHTTP(t *testing.T) {
	es := staff(6)
	es[0].EmploymentType, es[1].EmploymentType = "Contractor", " contractor "
	clk := &clock{now: time.Now()}
	st := newStack(t, clk, es, nil)
	st.StartConsumers(context.Background())
	base := serveAPI(t, st)
	c := newClient(t, st, base, tenant, "admin@acme.example", &bytes.Buffer{})
	c.must(200, "POST", "/integration/authorization", map[string]any{"apiKey": peoplehrtest.DefaultAPIKey}, nil)
	status, body, _ := c.do("PUT", "/integration/settings", map[string]any{"scope": []map[string]any{{"source": "EmploymentType", "op": "like", "values": []string{"C%"}}}})
	if status != 400 || !strings.Contains(string(body), "scope[0].op") {
		t.Fatalf("a bad rule: %d %s", status, body)
	}
	c.must(200, "PUT", "/integration/settings", map[string]any{"scope": []map[string]any{{"source": "EmploymentType", "op": "equals", "values": []string{"Contractor"}}}}, nil)
	var run runJSON
	c.must(202, "POST", "/imports", nil, &run)
	done, _ := waitRunHTTP(t, c, run.RunID)
	if done.Counts["created"] != 4 || done.Counts["outOfScope"] != 2 {
		t.Fatalf("first import: %+v", done.Counts)
	}
	es[2].EmploymentType = "Contractor"
	st.Sandbox.SetEmployees(es)
	c.must(202, "POST", "/imports", nil, &run)
	done, _ = waitRunHTTP(t, c, run.RunID)
	if done.Counts["outOfScope"] != 3 || done.Counts["warnings"] != 1 || done.Counts["closed"] != 0 {
		t.Fatalf("second import: %+v", done.Counts)
	}
}

// PeopleHR changing an employee's id moves the member to the new id: one
// account kept, with its welcome, instead of one closed and one created.
func TestEmployeeIDChangeRelinksTheMember(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	st := newStack(t, clk, staff(3), nil)
	seedAcme(t, st)
	job := func() integration.Job {
		return integration.Job{TenantID: tenant, RunID: integration.NewRunID(clk.Now()), Trigger: integration.TriggerManual}
	}
	if _, err := st.Worker.Run(context.Background(), job()); err != nil {
		t.Fatal(err)
	}
	before := members(t, st)["SAB"]
	es := staff(3)
	es[1].EmployeeID = "NEW-SAB"
	st.Sandbox.SetEmployees(es)
	clk.Set(clk.Now().Add(time.Hour))
	run, err := st.Worker.Run(context.Background(), job())
	if err != nil || run.Counts.Updated != 1 || run.Counts.Created != 0 || run.Counts.Closed != 0 || run.Counts.Warnings != 1 {
		t.Fatalf("relink run: %v %+v", err, run.Counts)
	}
	ms := members(t, st)
	moved, ok := ms["NEW-SAB"]
	if _, old := ms["SAB"]; old || !ok || len(ms) != 3 {
		t.Fatalf("members after the id change: %v", keys(ms))
	}
	if moved.Email() != before.Email() || moved.Welcome != before.Welcome || !moved.CreatedAt.Equal(before.CreatedAt) {
		t.Errorf("moved %+v, was %+v", moved, before)
	}
	checkOwners(t, st, map[string]string{before.Email(): "NEW-SAB"})
	if again, _ := st.Worker.Run(context.Background(), job()); again.Counts.Changed() {
		t.Errorf("the next run changed %+v", again.Counts)
	}
}

func keys(ms map[string]engine.Member) []string {
	var out []string
	for id := range ms {
		out = append(out, id)
	}
	return out
}

// A pre-hire's welcome waits for their start date in the tenant's zone.
func TestWelcomeOnStartDate(t *testing.T) {
	es := staff(2)
	es[0].StartDate = "2026-03-12" // a pre-hire
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	st := newStack(t, clk, es, nil)
	settings := integration.DefaultSettings()
	settings.WelcomeTiming = integration.WelcomeOnStartDate
	err := st.SeedTenant(context.Background(), stack.Tenant{
		ID: tenant, ProgrammeName: "Acme", AdminEmail: "admin@acme.example", APIKey: peoplehrtest.DefaultAPIKey,
		Settings: settings, Mapping: engine.DefaultMapping(),
	})
	if err != nil {
		t.Fatal(err)
	}
	job := func() integration.Job {
		return integration.Job{TenantID: tenant, RunID: integration.NewRunID(clk.Now()), Trigger: integration.TriggerManual}
	}
	if _, err := st.Worker.Run(context.Background(), job()); err != nil {
		t.Fatal(err)
	}
	if w := members(t, st)["SAA"].Welcome; w != engine.WelcomeScheduled {
		t.Fatalf("pre-hire welcome %s", w)
	}
	if w := members(t, st)["SAB"].Welcome; w != engine.WelcomeOwed {
		t.Fatalf("starter welcome %s", w)
	}
	clk.Set(time.Date(2026, 3, 12, 6, 0, 0, 0, time.UTC)) // their first day
	run, err := st.Worker.Run(context.Background(), job())
	if err != nil || run.Counts.Updated != 1 {
		t.Fatalf("start-date run: %v %+v", err, run.Counts)
	}
	if w := members(t, st)["SAA"].Welcome; w != engine.WelcomeOwed {
		t.Fatalf("on the start date the welcome is %s", w)
	}
}

// Each member's provisioning log says what every run did to them, field by
// field, and why records were skipped; another tenant cannot read it.
func TestProvisioningLogOverHTTP(t *testing.T) {
	clk := &clock{now: time.Now()}
	es := staff(3)
	es[2].EmailID = "not-an-email"
	st := newStack(t, clk, es, nil)
	st.StartConsumers(context.Background())
	base := serveAPI(t, st)
	c := newClient(t, st, base, tenant, "admin@acme.example", &bytes.Buffer{})
	c.must(200, "POST", "/integration/authorization", map[string]any{"apiKey": peoplehrtest.DefaultAPIKey}, nil)
	var run runJSON
	c.must(202, "POST", "/imports", nil, &run)
	waitRunHTTP(t, c, run.RunID)
	clk.Set(clk.Now().Add(time.Minute)) // run ids sort by the functions' clock
	es[0].Department = "Marketing"
	st.Sandbox.SetEmployees(es)
	c.must(202, "POST", "/imports", nil, &run)
	waitRunHTTP(t, c, run.RunID)

	type entry struct {
		RunID, Action, Reason string
		Changes               []struct{ Field, Old, New string }
	}
	var log struct{ Items []entry }
	c.must(200, "GET", "/members/SAA/log", nil, &log)
	if len(log.Items) != 2 || log.Items[0].Action != "update" || log.Items[1].Action != "create" || log.Items[0].RunID != run.RunID {
		t.Fatalf("SAA's log: %+v", log.Items)
	}
	if ch := log.Items[0].Changes; len(ch) != 1 || ch[0].Field != "department" || ch[0].Old != "Sales" || ch[0].New != "Marketing" {
		t.Errorf("the update's changes: %+v", ch)
	}
	// A record skipped every run has no member, but its log says why.
	c.must(200, "GET", "/members/SAC/log", nil, &log)
	if len(log.Items) != 2 || log.Items[0].Action != "skip" || !strings.Contains(log.Items[0].Reason, "not a valid email") {
		t.Errorf("SAC's log: %+v", log.Items)
	}
	if status, _, _ := c.do("GET", "/members/NOBODY/log", nil); status != 404 {
		t.Errorf("the log of an id never seen: %d", status)
	}
	other := newClient(t, st, base, "globex", "admin@globex.example", &bytes.Buffer{})
	if status, body, _ := other.do("GET", "/members/SAA/log", nil); status != 404 {
		t.Errorf("another tenant read the log: %d %s", status, body)
	}
}
