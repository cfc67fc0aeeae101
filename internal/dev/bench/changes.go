package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// Changes is PeopleHR's change notifications measured on the local stack:
// edits made one at a time in the sandbox, each notified to the tenant's
// listener as PeopleHR would, and the time until its member was written.
type Changes struct {
	N, Edits int
	// Latency is, per edit, from the edit to its member written; Wait the
	// part of it before its change run started (the window and its
	// settling) and Work the rest (queue, reads, plan, write).
	Latency, Wait, Work []time.Duration
	// Runs are the change runs' own times, start to finish, and Full a
	// full import's with nothing to change, on the same stack.
	Runs []time.Duration
	Full time.Duration
	// ReadsByID and ReadsAll are the sandbox's reads during the edits.
	ReadsByID, ReadsAll int
}

// RunChanges starts a stack with n generated employees, imports them,
// gives the tenant a listener URL and then makes edits job-title changes
// in the sandbox, a second or two apart, so they fall into several
// windows at every point of them.
func (e *Env) RunChanges(ctx context.Context, n, edits int) (*Changes, error) {
	st, err := stack.Start(ctx, stack.Options{Moto: e.Moto, SES: e.SES, Prefix: fmt.Sprintf("benchchanges%d-", n), Employees: Employees(n)})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	// No welcomes: a thousand emails through the mailer would share the
	// emulator with what is measured.
	tenant := benchTenant()
	tenant.Settings.WelcomeEmail = false
	if err := st.SeedTenant(ctx, tenant); err != nil {
		return nil, err
	}
	st.StartConsumers(ctx)
	out := &Changes{N: n, Edits: edits}
	for range 2 { // the first import, then one with nothing to change
		if out.Full, err = e.importOnce(ctx, st); err != nil {
			return nil, err
		}
	}
	srv := httptest.NewServer(st.Handler())
	defer srv.Close()
	secret, hash := integration.NewListenerSecret()
	if _, err := st.Store.PutListener(ctx, TenantID, hash); err != nil {
		return nil, err
	}
	if err := st.Sandbox.SetListener(srv.URL + "/hooks/peoplehr?key=" + secret); err != nil {
		return nil, err
	}
	all0, byID0 := st.Sandbox.Reads()

	active := slices.DeleteFunc(st.Sandbox.Employees(), func(e peoplehrtest.Employee) bool { return e.Left() || e.LeavingDate != "" })
	if len(active) < edits {
		return nil, fmt.Errorf("%d active employees for %d edits", len(active), edits)
	}
	r := rand.New(rand.NewPCG(Seed, Seed))
	edited := make(map[string]edit, edits)
	for i := range edits {
		id, role := active[i].EmployeeID, fmt.Sprintf("Bench role %d", i)
		edited[id] = edit{role, time.Now()}
		st.Sandbox.Update(func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
			at := slices.IndexFunc(es, func(e peoplehrtest.Employee) bool { return e.EmployeeID == id })
			es[at].JobRole = role
			return es
		})
		time.Sleep(time.Duration(500+r.IntN(2500)) * time.Millisecond)
	}
	e.progress("changes %6d employees: %d edits made, waiting for their members", n, edits)
	if err := e.awaitEdits(ctx, st, edited, out); err != nil {
		return nil, err
	}
	all, byID := st.Sandbox.Reads()
	out.ReadsAll, out.ReadsByID = all-all0, byID-byID0
	e.progress("changes %6d employees: p50 %v, p95 %v", n, Percentile(out.Latency, 50), Percentile(out.Latency, 95))
	return out, nil
}

// edit is a job title set in the sandbox, and when.
type edit struct {
	role string
	at   time.Time
}

// importOnce runs one manual import and answers its time.
func (e *Env) importOnce(ctx context.Context, st *stack.Stack) (time.Duration, error) {
	queued, err := st.Enqueue(ctx, TenantID, integration.TriggerManual)
	if err != nil {
		return 0, err
	}
	run, err := st.WaitFinished(ctx, TenantID, queued.RunID)
	if err != nil {
		return 0, err
	}
	if run.Status == integration.StatusFailed || run.Status == integration.StatusHeld {
		return 0, fmt.Errorf("bench import: %s %s %s", run.Status, run.FailureReason, run.HeldReason)
	}
	return run.FinishedAt.Sub(run.StartedAt), nil
}

// awaitEdits waits until every edited member is written, then reads when:
// the member's write time, and its run's start and finish.
func (e *Env) awaitEdits(ctx context.Context, st *stack.Stack, edited map[string]edit, out *Changes) error {
	deadline := time.Now().Add(2 * time.Minute)
	pending := len(edited)
	runs := map[string]bool{}
	for id, ed := range edited {
		at := ed.at
		for {
			m, err := st.Store.GetMember(ctx, TenantID, id)
			if err != nil {
				return fmt.Errorf("read %s: %w", id, err)
			}
			if m.Values.Get(engine.JobTitle) == ed.role {
				run, err := st.Store.GetRun(ctx, TenantID, m.LastRunID)
				if err != nil {
					return err
				}
				if run.Trigger != integration.TriggerPeopleHRChange {
					return fmt.Errorf("%s was written by run %s (%s), not a change run", id, run.RunID, run.Trigger)
				}
				out.Latency = append(out.Latency, m.UpdatedAt.Sub(at))
				out.Wait = append(out.Wait, run.StartedAt.Sub(at))
				out.Work = append(out.Work, m.UpdatedAt.Sub(run.StartedAt))
				if !runs[run.RunID] {
					runs[run.RunID] = true
					done, err := st.WaitFinished(ctx, TenantID, run.RunID)
					if err != nil {
						return err
					}
					out.Runs = append(out.Runs, done.FinishedAt.Sub(done.StartedAt))
				}
				pending--
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%d of %d edits not applied within 2 minutes", pending, len(edited))
			}
			time.Sleep(time.Second)
		}
	}
	return nil
}

// rows are the report's lines of the changes, none when not measured.
// What AWS would show is reasoned from the parts: the wait is the window's
// arithmetic, the same anywhere; the work is a queue hop, a read of
// PeopleHR per employee named and a write, each measured here on the
// emulators, on AWS a few tens of milliseconds but PeopleHR's read, which
// crosses the internet (a second at worst for one employee, a guess:
// PeopleHR publishes no latency).
func (c *Changes) rows() []row {
	if c == nil {
		return nil
	}
	n := shortN(c.N)
	p50, p95 := Percentile(c.Latency, 50), Percentile(c.Latency, 95)
	work50, work95 := Percentile(c.Work, 50), Percentile(c.Work, 95)
	// On AWS: the same wait, PeopleHR's reads for a second each (at most
	// MaxTargetedReads, one after another), the rest as measured.
	aws95 := Percentile(c.Wait, 95) + work95 + integration.MaxTargetedReads*time.Second
	var run time.Duration
	for _, d := range c.Runs {
		run += d
	}
	if len(c.Runs) > 0 {
		run /= time.Duration(len(c.Runs))
	}
	return []row{
		{
			fmt.Sprintf("PeopleHR edit -> member written, %s tenant, %d edits", n, c.Edits),
			fmt.Sprintf("p50 %s, p95 %s (of it, after the window: p50 %s, p95 %s)", secs(p50.Seconds()), secs(p95.Seconds()), secs(work50.Seconds()), secs(work95.Seconds())),
			fmt.Sprintf("the window's wait alone: p50 %s, p95 %s (%v window + %v settling)", secs(Percentile(c.Wait, 50).Seconds()),
				secs(Percentile(c.Wait, 95).Seconds()), integration.ChangeWindow, integration.ChangeSettle),
			"", "p95 < 60 s", verdict(p95 < time.Minute && len(c.Latency) == c.Edits),
		},
		{
			fmt.Sprintf("change run %s: time, vs a full import with nothing to change", n),
			fmt.Sprintf("%s (mean of %d runs; %d reads by id, %d of everyone)", secs(run.Seconds()), len(c.Runs), c.ReadsByID, c.ReadsAll),
			secs(c.Full.Seconds()), fmt.Sprintf("%.2fx", run.Seconds()/c.Full.Seconds()), "(context)", "",
		},
		{
			"PeopleHR edit -> member written on AWS, expected", fmt.Sprintf("p95 about %s", secs(aws95.Seconds())),
			"the wait above + the work above + PeopleHR's reads at 1 s each, 5 at most", "", "p95 < 60 s", verdict(aws95 < time.Minute),
		},
	}
}
