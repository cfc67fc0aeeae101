package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/scheduler"
)

// The scheduler against the in-memory store (storetest keeps it to the
// DynamoDB store's contract) and a recording queue: no emulator.

// queue records the jobs sent, a call at a time; fail, if set, refuses
// the calls it returns an error for.
type queue struct {
	mu    sync.Mutex
	calls [][]integration.Job
	fail  func() error
}

func (q *queue) Send(_ context.Context, jobs ...integration.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		if err := q.fail(); err != nil {
			return err
		}
	}
	q.calls = append(q.calls, jobs)
	return nil
}

// runIDs are the run ids queued for each tenant, each job checked to be
// a scheduled one.
func (q *queue) runIDs(t *testing.T) map[string][]string {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	out := map[string][]string{}
	for _, call := range q.calls {
		for _, j := range call {
			if j.Trigger != integration.TriggerSchedule {
				t.Errorf("%s queued with trigger %s", j.RunID, j.Trigger)
			}
			out[j.TenantID] = append(out[j.TenantID], j.RunID)
		}
	}
	return out
}

// failingAdvance is the store with schedules that cannot be advanced (the
// table unreachable after the jobs were queued).
type failingAdvance struct{ *storetest.Memory }

func (failingAdvance) AdvanceSchedule(context.Context, string, time.Time, time.Time, time.Time) error {
	return errors.New("advance schedule: connection reset")
}

// mailbox records the mail jobs sent.
type mailbox struct {
	mu   sync.Mutex
	jobs []integration.MailJob
}

func (m *mailbox) Send(_ context.Context, jobs ...integration.MailJob) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.jobs = append(m.jobs, jobs...)
	return nil
}

type env struct {
	clk   *storetest.Clock
	store *storetest.Memory
	jobs  *queue
	mail  *mailbox
	s     *scheduler.Scheduler
}

func newEnv(t *testing.T, wrap func(*storetest.Memory) scheduler.Store) *env {
	t.Helper()
	e := &env{clk: storetest.NewClock(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)), jobs: &queue{}, mail: &mailbox{}}
	e.store = storetest.NewMemory(e.clk.Now)
	var store scheduler.Store = e.store
	if wrap != nil {
		store = wrap(e.store)
	}
	s, err := scheduler.New(store, e.jobs, e.mail, slog.New(slog.DiscardHandler), e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	return e
}

// schedule publishes tenant on frequency from the clock's time.
func (e *env) schedule(t *testing.T, tenant, frequency string) *integration.Integration {
	t.Helper()
	in := &integration.Integration{TenantID: tenant, Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(),
		Published: true, State: integration.StateLive, Key: &integration.SealedKey{Ciphertext: []byte("sealed"), Last4: "1234"}}
	in.Settings.Frequency = frequency
	if err := in.ScheduleFrom(e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.store.PutIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return in
}

func (e *env) tick(t *testing.T) scheduler.Result {
	t.Helper()
	res, err := e.s.Tick(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Every due slot is queued once, ten jobs a call, with the slot's run id,
// and its tenant moved to its next slot; what is not due is not queued.
func TestATickQueuesEachDueSlotOnce(t *testing.T) {
	e := newEnv(t, nil)
	var ins []*integration.Integration
	for i := range 25 {
		ins = append(ins, e.schedule(t, fmt.Sprintf("tenant%02d", i), "hourly"))
	}
	daily := e.schedule(t, "daily", "daily") // its 02:00 is tomorrow's
	draft := e.schedule(t, "draft", "hourly")
	draft.Published = false
	if err := e.store.PutIntegration(context.Background(), draft); err != nil {
		t.Fatal(err)
	}
	e.clk.Add(65 * time.Minute) // past every hourly tenant's slot and spread

	if res := e.tick(t); res.Queued != 25 || res.Advanced != 25 {
		t.Fatalf("tick %+v, want 25 queued and advanced", res)
	}
	for _, call := range e.jobs.calls {
		if len(call) > 10 {
			t.Errorf("a call of %d jobs: SQS takes 10", len(call))
		}
	}
	runIDs := e.jobs.runIDs(t)
	for _, in := range ins {
		if ids := runIDs[in.TenantID]; len(ids) != 1 || ids[0] != integration.SlotRunID(in.NextRunAt) {
			t.Errorf("%s queued %v, want its slot's run", in.TenantID, ids)
		}
		got, _ := e.store.GetIntegration(context.Background(), in.TenantID)
		spec, _ := in.Settings.Schedule()
		if next := spec.Next(e.clk.Now()); !got.NextRunAt.Equal(next) || !got.DueAt.Equal(next.Add(spec.Spread(in.TenantID))) {
			t.Errorf("%s next %v due %v, want %v", in.TenantID, got.NextRunAt, got.DueAt, next)
		}
	}
	for _, other := range []string{daily.TenantID, draft.TenantID} {
		if ids := runIDs[other]; len(ids) != 0 {
			t.Errorf("%s queued %v before its time", other, ids)
		}
	}
	if res := e.tick(t); res.Queued != 0 {
		t.Errorf("a second tick queued %d", res.Queued)
	}
}

// Two ticks at once queue each slot with one run id (the FIFO queue makes
// it one job) and advance each tenant once.
func TestTwoTicksAtOnceAdvanceEachTenantOnce(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 12 {
		e.schedule(t, fmt.Sprintf("tenant%02d", i), "hourly")
	}
	e.clk.Add(65 * time.Minute)
	results := make([]scheduler.Result, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = e.tick(t) })
	}
	wg.Wait()
	if advanced := results[0].Advanced + results[1].Advanced; advanced != 12 {
		t.Errorf("%d advanced, want 12: %+v", advanced, results)
	}
	for tenant, ids := range e.jobs.runIDs(t) {
		for _, id := range ids {
			if id != ids[0] {
				t.Errorf("%s queued two runs: %v", tenant, ids)
			}
		}
	}
}

// A tick that queues but cannot advance leaves the slot due: the next tick
// queues the same run again (one job, for the FIFO queue) and advances it.
func TestATickThatCannotAdvanceIsRepairedByTheNext(t *testing.T) {
	broken := newEnv(t, func(m *storetest.Memory) scheduler.Store { return failingAdvance{m} })
	in := broken.schedule(t, "acme", "hourly")
	broken.clk.Add(65 * time.Minute)
	if res := broken.tick(t); res.Queued != 1 || res.Advanced != 0 {
		t.Fatalf("tick %+v, want queued and not advanced", res)
	}

	healed, err := scheduler.New(broken.store, broken.jobs, broken.mail, slog.New(slog.DiscardHandler), broken.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := healed.Tick(context.Background()); err != nil || res.Queued != 1 || res.Advanced != 1 {
		t.Fatalf("next tick %+v %v", res, err)
	}
	if ids := broken.jobs.runIDs(t)["acme"]; len(ids) != 2 || ids[0] != ids[1] || ids[0] != integration.SlotRunID(in.NextRunAt) {
		t.Errorf("queued %v, want the slot's run twice", ids)
	}
}

// Jobs that could not be queued leave their tenants due and unadvanced.
func TestJobsNotQueuedStayDue(t *testing.T) {
	e := newEnv(t, nil)
	e.schedule(t, "acme", "hourly")
	e.clk.Add(65 * time.Minute)
	e.jobs.fail = func() error { return errors.New("SQS: throttled") }
	if res, err := e.s.Tick(context.Background()); err == nil || res.Advanced != 0 {
		t.Fatalf("tick %+v %v, want an error and nothing advanced", res, err)
	}
	e.jobs.fail = nil
	if res := e.tick(t); res.Queued != 1 || res.Advanced != 1 {
		t.Errorf("next tick %+v", res)
	}
}

// A tenant far behind (the scheduler was down for days) runs once, then
// resumes its schedule from now, not once per missed slot.
func TestATenantFarBehindRunsOnce(t *testing.T) {
	e := newEnv(t, nil)
	in := e.schedule(t, "acme", "hourly")
	e.clk.Add(72 * time.Hour)
	if res := e.tick(t); res.Queued != 1 || res.Advanced != 1 {
		t.Fatalf("tick %+v", res)
	}
	got, _ := e.store.GetIntegration(context.Background(), "acme")
	if !got.NextRunAt.After(e.clk.Now()) || got.NextRunAt.After(e.clk.Now().Add(time.Hour)) {
		t.Errorf("next slot %v, want the first after %v (was %v)", got.NextRunAt, e.clk.Now(), in.NextRunAt)
	}
	if res := e.tick(t); res.Queued != 0 {
		t.Errorf("the missed slots were queued: %+v", res)
	}
}

// Reminders are queued once their time has passed, as reminder jobs
// naming the member and the reminder, from every shard; a tick before
// queues nothing.
func TestATickQueuesDueReminders(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	var ms []engine.Member
	for i := range 40 {
		ms = append(ms, storetest.NewMember(fmt.Sprintf("E%02d", i), fmt.Sprintf("e%02d@x.example", i)))
	}
	if _, err := e.store.Apply(ctx, "acme", "r1", storetest.Creates(ms...), nil); err != nil {
		t.Fatal(err)
	}
	at := e.clk.Now().Add(72 * time.Hour)
	for i, m := range ms {
		id := m.EmployeeID()
		if _, err := e.store.ClaimWelcome(ctx, "acme", id, "h"+id, at); err != nil {
			t.Fatal(err)
		}
		if err := e.store.FinishWelcome(ctx, "acme", id, integration.MailSent, "m"); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 { // half are due on day 3, half later
			if err := e.store.ScheduleReminder(ctx, "acme", id, 1, at); err != nil {
				t.Fatal(err)
			}
		} else if err := e.store.ScheduleReminder(ctx, "acme", id, 2, at.Add(7*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if res := e.tick(t); res.Reminders != 0 || len(e.mail.jobs) != 0 {
		t.Fatalf("before their time: %+v, %d jobs", res, len(e.mail.jobs))
	}
	e.clk.Add(72*time.Hour + time.Second)
	if res := e.tick(t); res.Reminders != 20 {
		t.Errorf("queued %d reminders, want the 20 due", res.Reminders)
	}
	seen := map[string]bool{}
	for _, j := range e.mail.jobs {
		if j.Kind != integration.MailReminder || j.TenantID != "acme" || j.Reminder != 1 || seen[j.EmployeeID] {
			t.Errorf("job %+v", j)
		}
		seen[j.EmployeeID] = true
	}
}
