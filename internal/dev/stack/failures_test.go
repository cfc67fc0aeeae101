package stack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/integration"
)

func staff(n int) []peoplehrtest.Employee {
	out := make([]peoplehrtest.Employee, n)
	for i := range out {
		id := "S" + string(rune('A'+i/26)) + string(rune('A'+i%26))
		out[i] = emp(id, "Staff", strings.ToLower(id)+"@acme.example")
	}
	return out
}

// A feed that suddenly lacks most employees, or has turned most of them
// into leavers, is held: nothing is written and the exact plan is kept.
func TestMassChangeIsHeld(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func([]peoplehrtest.Employee) []peoplehrtest.Employee
		closes int
		reason string
	}{
		{"most turned leavers", func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
			for i := range 12 {
				es[i] = left(es[i], "2026-03-09")
			}
			return es
		}, 12, "12 of 20 active members would be closed"},
		{"empty feed", func([]peoplehrtest.Employee) []peoplehrtest.Employee { return nil }, 0, "no employees"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
			writes := &runWrites{}
			st := startStack(t, clk, writes, staff(20))
			seedAcme(t, st)
			if run := runImport(t, st); run.Counts.Created != 20 {
				t.Fatalf("first import: %+v", run.Counts)
			}
			writes.take()
			before := members(t, st)

			st.Sandbox.SetEmployees(tt.change(staff(20)))
			run := runImport(t, st)
			if run.Status != integration.StatusHeld || !strings.Contains(run.HeldReason, tt.reason) || run.Summary == integration.MailNone {
				t.Fatalf("run: %s %q", run.Status, run.HeldReason)
			}
			if got := writes.take(); got != 0 {
				t.Errorf("a held run wrote %d member items", got)
			}
			after := members(t, st)
			for id, m := range before {
				if after[id].Version != m.Version || after[id].Status != m.Status {
					t.Errorf("%s changed while held", id)
				}
			}
			plan, err := st.Store.HeldPlan(context.Background(), tenant, run.RunID)
			if err != nil || len(plan) != tt.closes {
				t.Fatalf("held plan: %v, %d changes, want %d", err, len(plan), tt.closes)
			}
		})
	}
}

// Failures the admin must act on end the run as failed, in plain words.
func TestFailedRunsSayWhy(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	writes := &runWrites{}
	st := startStack(t, clk, writes, staff(3))
	ctx := context.Background()

	err := st.SeedTenant(ctx, stack.Tenant{
		ID: tenant, ProgrammeName: "Acme", AdminEmail: "admin@acme.example", APIKey: "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
		Settings: integration.DefaultSettings(), Mapping: seedMapping(),
	})
	if err != nil {
		t.Fatal(err)
	}
	run := runImport(t, st)
	if run.Status != integration.StatusFailed || !strings.Contains(run.FailureReason, "refused the API key") {
		t.Fatalf("bad key: %s %q", run.Status, run.FailureReason)
	}

	seedAcme(t, st)
	st.Sandbox.InjectFault(peoplehrtest.Fault{Kind: peoplehrtest.FaultHTTP5xx, Times: 10})
	run = runImport(t, st)
	if run.Status != integration.StatusFailed || !strings.Contains(run.FailureReason, "could not be reached") {
		t.Fatalf("PeopleHR down: %s %q", run.Status, run.FailureReason)
	}
	if got := writes.take(); got != 0 {
		t.Errorf("failed runs wrote %d member items", got)
	}
	st.Sandbox.ClearFaults()

	// A transient fault is retried inside the run.
	st.Sandbox.InjectFault(peoplehrtest.Fault{Kind: peoplehrtest.FaultTruncate, Times: 1})
	run = runImport(t, st)
	if run.Status != integration.StatusSucceeded || run.Counts.Created != 3 {
		t.Fatalf("after a truncated body: %s %+v %q", run.Status, run.Counts, run.FailureReason)
	}
}

// A message that is not a job is reported back, not dropped, and does not
// stop the rest of the batch.
func TestMalformedJobIsReportedAsABatchFailure(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	st := startStack(t, clk, &runWrites{}, staff(2))
	seedAcme(t, st)
	resp, err := st.WorkerSQS(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "bad", Body: "{not json"},
		{MessageId: "other-tenant-shape", Body: `{"tenantId":"a#b","runId":"x"}`},
		{MessageId: "good", Body: `{"tenantId":"acme","runId":"20260310T090000Z-00000001","trigger":"schedule"}`},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if strings.Join(failed, ",") != "bad,other-tenant-shape" {
		t.Fatalf("failures = %v", failed)
	}
	run, err := st.Store.GetRun(context.Background(), tenant, "20260310T090000Z-00000001")
	if err != nil || run.Status != integration.StatusSucceeded || run.Trigger != integration.TriggerSchedule {
		t.Fatalf("the good job: %v %+v", err, run)
	}
}
