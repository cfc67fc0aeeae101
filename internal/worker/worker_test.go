package worker_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/events"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
	"github.com/peoplesync/peoplesync/internal/worker"
)

// The worker's branches, against the in-memory store (storetest keeps it
// to the DynamoDB store's contract) and the PeopleHR sandbox, through the
// real client: no emulator.

const tenant = "acme"

func staff(n int) []peoplehrtest.Employee {
	out := make([]peoplehrtest.Employee, n)
	for i := range out {
		id := fmt.Sprintf("E%03d", i+1)
		out[i] = peoplehrtest.Employee{
			EmployeeID: id, FirstName: "Staff", LastName: id, EmailID: strings.ToLower(id) + "@acme.example",
			StartDate: "2020-01-06", JobRole: "Analyst", Department: "Sales", Location: "Leeds",
			EmployeeStatus: peoplehrtest.ActiveStatus,
		}
	}
	return out
}

func left(e peoplehrtest.Employee) peoplehrtest.Employee {
	e.LeavingDate, e.EmployeeStatus, e.ReasonForLeaving = "2026-03-01", "Left", "Resigned"
	return e
}

// env is one tenant's worker with every port in memory.
type env struct {
	clk   *storetest.Clock
	store *storetest.Memory
	// applyLeased, when set, replaces the store's leased writes: the seam
	// where a test interrupts a run or writes beside it.
	applyLeased func(ctx context.Context, lease integration.Lease, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error)
	sandbox     *peoplehrtest.Server
	mail        outbox
	files       errorFiles
	bus         bus
	w           *worker.Worker
}

// hooked is the in-memory store with its leased writes going through the
// env's hook, if any.
type hooked struct {
	*storetest.Memory
	e *env
}

func (h hooked) ApplyLeased(ctx context.Context, lease integration.Lease, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error) {
	if h.e.applyLeased != nil {
		return h.e.applyLeased(ctx, lease, changes, done)
	}
	return h.Memory.ApplyLeased(ctx, lease, changes, done)
}

func newEnv(t *testing.T, employees []peoplehrtest.Employee) *env {
	t.Helper()
	e := &env{clk: storetest.NewClock(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))}
	e.store = storetest.NewMemory(e.clk.Now)
	e.sandbox = peoplehrtest.New(peoplehrtest.Options{Employees: employees})
	t.Cleanup(e.sandbox.Close)
	feed := peoplehr.New(e.sandbox.URL(), peoplehr.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	in := &integration.Integration{
		TenantID: tenant, ProgrammeName: "Acme Perks", AdminEmail: "admin@acme.example",
		Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(), Published: true, State: integration.StateLive,
		Key: &integration.SealedKey{Ciphertext: []byte(peoplehrtest.DefaultAPIKey), Last4: "950e", AddedAt: e.clk.Now()},
	}
	if err := in.ScheduleFrom(e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.store.PutIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(hooked{e.store, e}, feed, plainKeys{}, &e.files, &e.mail, &e.bus, slog.New(slog.DiscardHandler),
		worker.WithClock(e.clk.Now), worker.WithProgressEvery(2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	e.w = w
	return e
}

func job(runID string) integration.Job {
	return integration.Job{TenantID: tenant, RunID: runID, Trigger: integration.TriggerManual}
}

func (e *env) run(t *testing.T, runID string) *integration.Run {
	t.Helper()
	run, err := e.w.Run(context.Background(), job(runID))
	if err != nil {
		t.Fatalf("run %s: %v", runID, err)
	}
	return run
}

func (e *env) members(t *testing.T) []engine.Member {
	t.Helper()
	ms, err := e.store.Members(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func (e *env) integration(t *testing.T) *integration.Integration {
	t.Helper()
	in, err := e.store.GetIntegration(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// leaseFree reports whether another run could take the tenant now.
func (e *env) leaseFree(t *testing.T) bool {
	t.Helper()
	lease, err := e.store.AcquireLease(context.Background(), tenant, "probe", time.Second)
	if err != nil {
		return false
	}
	if err := e.store.ReleaseLease(context.Background(), lease); err != nil {
		t.Fatal(err)
	}
	return true
}

type plainKeys struct{}

func (plainKeys) Open(_ context.Context, _ string, sealed []byte) (string, error) {
	return string(sealed), nil
}

// errorFiles keeps each run's issues.
type errorFiles map[string][]engine.Issue

func (f *errorFiles) Put(_ context.Context, tenant, runID string, issues []engine.Issue) (string, error) {
	if *f == nil {
		*f = errorFiles{}
	}
	(*f)[runID] = issues
	return "errors/" + tenant + "/" + runID + ".csv", nil
}

// outbox keeps the mail jobs queued.
type outbox struct {
	mu   sync.Mutex
	jobs []integration.MailJob
}

func (o *outbox) Send(_ context.Context, jobs ...integration.MailJob) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.jobs = append(o.jobs, jobs...)
	return nil
}

// of lists the jobs of kind: the employee ids of welcomes, the run ids of
// summaries, the tenant of notices.
func (o *outbox) of(kind integration.MailKind) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, j := range o.jobs {
		switch {
		case j.Kind != kind:
		case kind == integration.MailReauth:
			out = append(out, j.TenantID)
		default:
			out = append(out, j.EmployeeID+j.RunID)
		}
	}
	slices.Sort(out)
	return out
}

// bus keeps the events published.
type bus struct{ types []string }

func (b *bus) Publish(_ context.Context, evs ...events.Event) error {
	for _, ev := range evs {
		b.types = append(b.types, ev.Type)
	}
	return nil
}

func (b *bus) count(typ string) int {
	n := 0
	for _, t := range b.types {
		if t == typ {
			n++
		}
	}
	return n
}

func TestARunCreatesMembersAndQueuesTheirEmails(t *testing.T) {
	e := newEnv(t, append(staff(4), left(staff(5)[4])))
	run := e.run(t, "r1")
	want := engine.Counts{Created: 4, SkippedLeavers: 1, Total: 5}
	if run.Status != integration.StatusSucceeded || run.Counts != want || run.Summary != integration.MailOwed {
		t.Fatalf("run %s %+v summary %s, want succeeded %+v", run.Status, run.Counts, run.Summary, want)
	}
	if run.Members == nil || *run.Members != (integration.MemberTotals{Members: 4}) {
		t.Errorf("member totals %+v, want 4 members, none joined", run.Members)
	}
	stored, err := e.store.GetRun(context.Background(), tenant, "r1")
	if err != nil || stored.Status != integration.StatusSucceeded || stored.Phase != "" || stored.Processed != stored.Total || stored.FinishedAt.IsZero() {
		t.Errorf("stored run %v %+v", err, stored)
	}
	var phases []integration.Phase
	for _, p := range stored.Phases {
		phases = append(phases, p.Phase)
		if p.StartedAt.Before(stored.StartedAt) || p.StartedAt.After(stored.FinishedAt) {
			t.Errorf("phase %s started at %s, outside the run", p.Phase, p.StartedAt)
		}
	}
	if want := []integration.Phase{integration.PhaseFetching, integration.PhasePlanning, integration.PhaseApplying, integration.PhaseEmailing}; !slices.Equal(phases, want) {
		t.Errorf("phases %v, want %v", phases, want)
	}
	ms := e.members(t)
	if len(ms) != 4 || ms[0].LastRunID != "r1" || ms[0].Welcome != engine.WelcomeOwed || ms[0].Email() != "e001@acme.example" {
		t.Fatalf("members %+v", ms)
	}
	if got := e.mail.of(integration.MailWelcome); !slices.Equal(got, []string{"E001", "E002", "E003", "E004"}) {
		t.Errorf("welcomes queued for %v", got)
	}
	if got := e.mail.of(integration.MailSummary); !slices.Equal(got, []string{"r1"}) {
		t.Errorf("summaries queued for %v", got)
	}
	if e.bus.count(events.MemberCreated) != 4 || e.bus.count(events.ImportCompleted) != 1 {
		t.Errorf("events %v", e.bus.types)
	}
	if log, _, err := e.store.MemberLog(context.Background(), tenant, "E001", "", 10); err != nil || len(log) != 1 || log[0].Action != "create" {
		t.Errorf("E001's log: %v %+v", err, log)
	}
	if !e.leaseFree(t) {
		t.Error("the run kept its lease")
	}

	// The same job again finds its run finished and does nothing.
	again := e.run(t, "r1")
	if again.Status != integration.StatusSucceeded || len(e.mail.of(integration.MailWelcome)) != 4 {
		t.Errorf("a redelivered finished job: %s, %d welcomes", again.Status, len(e.mail.of(integration.MailWelcome)))
	}
}

// Progress is saved by the runner while the appliers write, without them:
// the store's record moves while a write is held up, and the finished
// record is not overwritten by a progress save after it.
func TestProgressIsSavedWhileTheAppliersWrite(t *testing.T) {
	e := newEnv(t, staff(6))
	var seen int
	e.applyLeased = func(ctx context.Context, lease integration.Lease, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error) {
		first, err := e.store.ApplyLeased(ctx, lease, changes[:4], done)
		if err != nil {
			return nil, err
		}
		seen = waitFor(t, func() (int, bool) {
			r, err := e.store.GetRun(ctx, tenant, lease.RunID)
			return r.Processed, err == nil && r.Phase == integration.PhaseApplying && r.Processed == 4
		})
		rest, err := e.store.ApplyLeased(ctx, lease, changes[4:], done)
		return append(first, rest...), err
	}
	run := e.run(t, "r1")
	if seen != 4 || run.Counts.Created != 6 {
		t.Fatalf("progress seen %d, counts %+v", seen, run.Counts)
	}
	time.Sleep(20 * time.Millisecond) // ten progress ticks
	if r, _ := e.store.GetRun(context.Background(), tenant, "r1"); r.Status != integration.StatusSucceeded || r.Phase != "" || r.Processed != r.Total {
		t.Errorf("the finished record was overwritten: %+v", r)
	}
}

// waitFor polls until ok, for at most two seconds, and returns the last v.
func waitFor[T any](t *testing.T, poll func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		v, ok := poll()
		if ok || time.Now().After(deadline) {
			return v
		}
		time.Sleep(time.Millisecond)
	}
}

// A feed that would close most members is held: nothing applied, the plan
// kept; its approval applies exactly that plan.
func TestAHeldRunAppliesNothingUntilApproved(t *testing.T) {
	es := staff(20)
	e := newEnv(t, es)
	e.run(t, "r1")
	for i := range 12 {
		es[i] = left(es[i])
	}
	e.sandbox.SetEmployees(es)

	held := e.run(t, "r2")
	if held.Status != integration.StatusHeld || !strings.Contains(held.HeldReason, "12 of 20") || held.Summary != integration.MailOwed {
		t.Fatalf("run %s %q %s, want held", held.Status, held.HeldReason, held.Summary)
	}
	plan, err := e.store.HeldPlan(context.Background(), tenant, "r2")
	if err != nil || len(plan) != 12 {
		t.Fatalf("held plan: %v, %d changes", err, len(plan))
	}
	for _, m := range e.members(t) {
		if m.Status == engine.StatusLeaver || m.LastRunID != "r1" {
			t.Fatalf("a held run wrote %s: %+v", m.EmployeeID(), m)
		}
	}
	if e.bus.count(events.ImportHeld) != 1 || !slices.Contains(e.mail.of(integration.MailSummary), "r2") {
		t.Errorf("events %v, summaries %v", e.bus.types, e.mail.of(integration.MailSummary))
	}

	// An approval job for a plan that is not approved (discarded, say) is
	// refused before anything is applied.
	ctx := context.Background()
	if err := e.store.DecideHeld(ctx, tenant, "r2", "", integration.ResolutionDiscarded+"admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	refused, err := e.w.Run(ctx, integration.Job{TenantID: tenant, RunID: "r3", Trigger: integration.TriggerApproval, Approves: "r2"})
	if err != nil || refused.Status != integration.StatusFailed || !strings.Contains(refused.FailureReason, "no longer approved") {
		t.Fatalf("approval of a discarded plan: %v %s %q", err, refused.Status, refused.FailureReason)
	}
	for _, m := range e.members(t) {
		if m.Status == engine.StatusLeaver {
			t.Fatalf("a discarded plan was applied to %s", m.EmployeeID())
		}
	}
	if err := e.store.DecideHeld(ctx, tenant, "r2", integration.ResolutionDiscarded+"admin@acme.example", integration.ResolutionApproved+"admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	approval, err := e.w.Run(ctx, integration.Job{TenantID: tenant, RunID: "r4", Trigger: integration.TriggerApproval, Approves: "r2"})
	if err != nil || approval.Status != integration.StatusSucceeded || approval.Counts.Closed != 12 {
		t.Fatalf("approval: %v %s %+v", err, approval.Status, approval.Counts)
	}
	closed := 0
	for _, m := range e.members(t) {
		if m.Status == engine.StatusLeaver {
			closed++
			if m.LastRunID != "r4" || m.PurgeAt.IsZero() {
				t.Errorf("closed %+v", m)
			}
		}
	}
	if closed != 12 {
		t.Errorf("%d closed, want 12", closed)
	}
}

// Revoking the key while a run applies stops it after the writes in
// flight: cancelled, counting what it applied, and its lease released.
func TestARevokedKeyCancelsTheRun(t *testing.T) {
	e := newEnv(t, staff(6))
	e.applyLeased = func(ctx context.Context, lease integration.Lease, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error) {
		first, err := e.store.ApplyLeased(ctx, lease, changes[:2], done)
		if err != nil {
			return nil, err
		}
		in := e.integration(t)
		in.Key = nil
		if err := e.store.PutIntegration(ctx, in); err != nil {
			return nil, err
		}
		e.clk.Add(10 * time.Second) // the key's next check is due
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
			t.Error("the run was not stopped")
		}
		rest, err := e.store.ApplyLeased(ctx, lease, changes[2:], done)
		return append(first, rest...), err
	}
	run := e.run(t, "r1")
	if run.Status != integration.StatusCancelled || !strings.Contains(run.FailureReason, "revoked") || run.Counts != (engine.Counts{Created: 2}) {
		t.Fatalf("run %s %q %+v, want cancelled with 2 created", run.Status, run.FailureReason, run.Counts)
	}
	if n := len(e.members(t)); n != 2 {
		t.Errorf("%d members written", n)
	}
	if !e.leaseFree(t) {
		t.Error("a cancelled run kept its lease")
	}
	if got := e.mail.of(integration.MailSummary); !slices.Equal(got, []string{"r1"}) {
		t.Errorf("summaries %v", got)
	}
}

// Three runs in a row with a refused key need re-authorization: off the
// schedule, and the admin owed one notice, queued once.
func TestThreeRefusedKeysNeedReauthorization(t *testing.T) {
	e := newEnv(t, staff(3))
	in := e.integration(t)
	in.Key.Ciphertext = []byte("6ba7b810-9dad-11d1-80b4-00c04fd430c8") // a key PeopleHR does not know
	if err := e.store.PutIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= integration.ReauthAfter; i++ {
		run := e.run(t, fmt.Sprintf("r%d", i))
		if run.Status != integration.StatusFailed || !strings.Contains(run.FailureReason, "refused the API key") {
			t.Fatalf("run %d: %s %q", i, run.Status, run.FailureReason)
		}
		want := 0
		if i == integration.ReauthAfter {
			want = 1
		}
		if got := len(e.mail.of(integration.MailReauth)); got != want {
			t.Errorf("after %d refusals, %d notices queued", i, got)
		}
	}
	got := e.integration(t)
	if got.State != integration.StateNeedsReauthorization || got.ReauthNotice != integration.MailOwed || got.Scheduled() {
		t.Errorf("integration %s, notice %s, scheduled %v", got.State, got.ReauthNotice, got.Scheduled())
	}
	if n := len(e.mail.of(integration.MailSummary)); n != integration.ReauthAfter {
		t.Errorf("%d summaries, want one per failed run", n)
	}
	if n := len(e.members(t)); n != 0 {
		t.Errorf("%d members written", n)
	}
}

// A run whose writes fail part way (the worker died, or the table failed
// for longer than the SDK retries) is retried: the redelivered job resumes,
// counting what it applied before from the members' LastRunID, and ends
// with the counts, members and welcomes of an undisturbed run.
func TestAResumedRunEndsAsAnUndisturbedOne(t *testing.T) {
	undisturbed := newEnv(t, staff(8))
	want := undisturbed.run(t, "r1")

	e := newEnv(t, staff(8))
	e.applyLeased = func(ctx context.Context, lease integration.Lease, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error) {
		e.applyLeased = nil // the next delivery writes undisturbed
		if _, err := e.store.ApplyLeased(ctx, lease, changes[:3], done); err != nil {
			return nil, err
		}
		return nil, errors.New("write member E004: connection reset")
	}
	if _, err := e.w.Run(context.Background(), job("r1")); err == nil {
		t.Fatal("an interrupted run asked for no retry")
	}
	if r, _ := e.store.GetRun(context.Background(), tenant, "r1"); r.Status != integration.StatusRunning {
		t.Fatalf("interrupted run %s, want still running", r.Status)
	}
	e.clk.Add(3 * time.Minute) // past any lease
	got := e.run(t, "r1")
	if got.Status != want.Status || got.Counts != want.Counts {
		t.Errorf("resumed %s %+v, undisturbed %s %+v", got.Status, got.Counts, want.Status, want.Counts)
	}
	a, b := e.members(t), undisturbed.members(t)
	for i := range b {
		if a[i].Values != b[i].Values || a[i].Status != b[i].Status || a[i].Welcome != b[i].Welcome || a[i].LastRunID != b[i].LastRunID || a[i].Version != b[i].Version {
			t.Errorf("member %d: %+v, undisturbed %+v", i, a[i], b[i])
		}
	}
	if w, u := e.mail.of(integration.MailWelcome), undisturbed.mail.of(integration.MailWelcome); !slices.Equal(w, u) {
		t.Errorf("welcomes %v, undisturbed %v", w, u)
	}
	if n := e.bus.count(events.MemberCreated); n != 8 {
		t.Errorf("%d member events, want 8", n)
	}
}

// A member another writer changed after the run planned is a conflict: a
// row error, not an overwrite, and not counted as updated.
func TestAStaleMemberIsARowErrorNotAnOverwrite(t *testing.T) {
	es := staff(3)
	e := newEnv(t, es)
	e.run(t, "r1")
	for i := range es {
		es[i].Department = "Marketing"
	}
	e.sandbox.SetEmployees(es)
	e.applyLeased = func(ctx context.Context, lease integration.Lease, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error) {
		e1, err := e.store.GetMember(ctx, tenant, "E001")
		if err != nil {
			return nil, err
		}
		other := storetest.Change(engine.KindUpdate, e1, func(m *engine.Member) { m.Values.Set(engine.JobTitle, "Manager") })
		if _, err := e.store.Apply(ctx, tenant, "another-writer", []engine.Change{other}, nil); err != nil {
			return nil, err
		}
		return e.store.ApplyLeased(ctx, lease, changes, done)
	}
	run := e.run(t, "r2")
	if run.Status != integration.StatusSucceededWithErrors || run.Counts.Updated != 2 || run.Counts.Errors != 1 {
		t.Fatalf("run %s %+v, want 2 updated and 1 error", run.Status, run.Counts)
	}
	issues := e.files["r2"]
	if len(issues) != 1 || issues[0].EmployeeID != "E001" || issues[0].Severity != engine.SeverityError || !strings.Contains(issues[0].Message, "the next run will try again") {
		t.Errorf("error file %+v", issues)
	}
	got, _ := e.store.GetMember(context.Background(), tenant, "E001")
	if got.Values.Get(engine.JobTitle) != "Manager" || got.Values.Get(engine.Department) != "Sales" || got.LastRunID != "another-writer" {
		t.Errorf("the other writer's change was overwritten: %+v", got)
	}
	if log, _, _ := e.store.MemberLog(context.Background(), tenant, "E001", "", 10); len(log) != 2 || log[0].Action != "skip" {
		t.Errorf("E001's log %+v: want the skip and the first run's create", log)
	}
}

// A job for a tenant whose lease another run holds is deferred; a second
// delivery of the run that holds it is a no-op.
func TestALeasedTenantDefersOtherJobs(t *testing.T) {
	e := newEnv(t, staff(2))
	if _, err := e.store.AcquireLease(context.Background(), tenant, "r1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := e.w.Run(context.Background(), job("r1")); err != nil {
		t.Errorf("a duplicate of the live run: %v, want a no-op", err)
	}
	if _, err := e.w.Run(context.Background(), job("r2")); !errors.Is(err, worker.ErrBusy) {
		t.Errorf("another run's job: %v, want busy", err)
	}
	if n := len(e.members(t)); n != 0 {
		t.Errorf("%d members written under another run's lease", n)
	}
	e.clk.Add(time.Minute + time.Millisecond)
	if run := e.run(t, "r2"); run.Counts.Created != 2 {
		t.Errorf("after the lease expired: %+v", run.Counts)
	}
}

func TestNewRefusesMissingPortsAndSpacings(t *testing.T) {
	e := newEnv(t, nil)
	feed := peoplehr.New(e.sandbox.URL())
	if _, err := worker.New(nil, feed, plainKeys{}, &e.files, &e.mail, &e.bus, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("a worker without a store")
	}
	if _, err := worker.New(e.store, feed, plainKeys{}, &e.files, &e.mail, &e.bus, slog.New(slog.DiscardHandler), worker.WithProgressEvery(0)); err == nil {
		t.Error("a worker that saves progress every 0s")
	}
}

// A change run waits for its window to close (on the real clock, at most
// integration.ChangeWindow), then imports like any run, sends the welcomes
// it owes and no summary of its own; a held one still tells the admin.
func TestAChangeRunWaitsForItsWindowAndSendsNoSummary(t *testing.T) {
	e := newEnv(t, staff(3))
	change := integration.ChangeJob(tenant, e.clk.Now())
	// The window closes 50 ms after now, on the clock the worker reads.
	change.NotBefore = e.clk.Now().Add(50 * time.Millisecond)
	start := time.Now()
	run, err := e.w.Run(context.Background(), change)
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Errorf("the run started %v after the job, before its window closed", waited)
	}
	if run.Trigger != integration.TriggerPeopleHRChange || run.Counts.Created != 3 || run.Summary != integration.MailNone {
		t.Errorf("change run %s %+v summary %q, want 3 created and no summary", run.Trigger, run.Counts, run.Summary)
	}
	if got := e.mail.of(integration.MailWelcome); len(got) != 3 {
		t.Errorf("welcomes queued for %v", got)
	}
	if got := e.mail.of(integration.MailSummary); len(got) != 0 {
		t.Errorf("a change run queued summaries for %v", got)
	}

	// The next window's run finds every member missing: held, and the
	// admin is told.
	e.sandbox.SetEmployees(nil)
	in := e.integration(t)
	in.Settings.CloseMissingMembers = true
	if err := e.store.PutIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	later := integration.ChangeJob(tenant, e.clk.Now().Add(time.Minute))
	later.NotBefore = e.clk.Now().Add(time.Millisecond)
	held, err := e.w.Run(context.Background(), later)
	if err != nil {
		t.Fatal(err)
	}
	if held.Status != integration.StatusHeld || held.Summary != integration.MailOwed {
		t.Errorf("held change run %s summary %q, want held with its summary owed", held.Status, held.Summary)
	}
}

// Leavers marked a few at a time, each batch a change run of its own, are
// held together once they pass the safeguard, as one import of them all
// would be; a full import starts the count again.
func TestChangeRunsCountTheDaysClosuresTogether(t *testing.T) {
	feed := staff(50)
	e := newEnv(t, feed)
	// Run ids sort by time, as the store lists runs.
	e.run(t, integration.SlotRunID(e.clk.Now())) // the first, full import: 50 members
	change := func(leavers int) *integration.Run {
		t.Helper()
		for i := range leavers {
			feed[i] = left(feed[i])
		}
		e.sandbox.SetEmployees(feed)
		e.clk.Add(time.Minute)
		job := integration.ChangeJob(tenant, e.clk.Now())
		job.NotBefore = time.Time{} // its window closed: run at once
		run, err := e.w.Run(context.Background(), job)
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	if run := change(4); run.Status == integration.StatusHeld || run.Counts.Closed != 4 {
		t.Fatalf("4 of 50: %s, %d closed", run.Status, run.Counts.Closed)
	}
	held := change(8) // 4 more: 8 of 50 in the day
	if held.Status != integration.StatusHeld || !strings.Contains(held.HeldReason, "8 of 50 active members") {
		t.Fatalf("4 more: %s %q, want held as 8 of 50", held.Status, held.HeldReason)
	}
	// A full import looks at them all again: 4 of the 46 it finds active
	// is under the floor, and it applies them.
	e.clk.Add(time.Minute)
	if run := e.run(t, integration.SlotRunID(e.clk.Now())); run.Status == integration.StatusHeld || run.Counts.Closed != 4 {
		t.Errorf("the full import after: %s, %d closed", run.Status, run.Counts.Closed)
	}
}
