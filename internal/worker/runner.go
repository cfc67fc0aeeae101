package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/events"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

// runFailure is a reason the run cannot succeed, in words for the admin.
type runFailure struct {
	reason string
	err    error
}

func (f *runFailure) Error() string { return f.reason + ": " + f.err.Error() }
func (f *runFailure) Unwrap() error { return f.err }

// errRevoked stops a run whose key the admin revoked.
var errRevoked = errors.New("the PeopleHR key was revoked")

// revokeCheckEvery spaces the checks for a revoked key while a run works.
const revokeCheckEvery = 5 * time.Second

// runner is one execution of one run.
type runner struct {
	w   *Worker
	run *integration.Run
	// lease is the run's lease as acquired: the heartbeat renews a copy of
	// its own, and the writes need only its holder.
	lease       integration.Lease
	log         *slog.Logger
	stop        context.CancelCauseFunc
	resumed     bool
	keyAddedAt  time.Time
	lastChecked time.Time
	// processed counts the phase's records read or changes written; the
	// phase's watcher saves it (see watch), and stopWatch stops that.
	processed atomic.Int64
	stopWatch func()
	// published are the member events of the run, sent when it ends, and
	// entries its lines of the members' provisioning logs; those of the
	// changes it applied are built from applied as they are written.
	published []events.Event
	entries   []integration.LogEntry
	applied   []*engine.Change
}

func (r *runner) execute(ctx context.Context) error {
	w, run := r.w, r.run
	in, err := w.store.GetIntegration(ctx, run.TenantID)
	if errors.Is(err, integration.ErrNotFound) {
		return &runFailure{"this tenant has no PeopleHR integration", err}
	}
	if err != nil {
		return err
	}
	if in.Key == nil {
		return &runFailure{"PeopleHR is not authorized: add an API key", errors.New("no key")}
	}
	settings, err := in.Settings.Sync()
	if err != nil {
		return &runFailure{"the integration's settings are invalid", err}
	}
	r.keyAddedAt = in.Key.AddedAt

	if r.resumed {
		r.log.Info("resuming an interrupted run", "phase", run.Phase)
	}
	run.Status = integration.StatusRunning
	if run.StartedAt.IsZero() {
		run.StartedAt = w.now()
	}
	if run.Approves != "" {
		return r.approve(ctx, in, settings)
	}
	if err := r.phase(ctx, integration.PhaseFetching, 0); err != nil {
		return err
	}
	apiKey, err := w.keys.Open(ctx, run.TenantID, in.Key.Ciphertext)
	if err != nil {
		return &runFailure{"the stored PeopleHR key could not be opened: re-authorize", err}
	}
	targets, err := r.targets(ctx)
	if err != nil {
		return err
	}
	planner, err := r.fetch(ctx, apiKey, in.Mapping, settings, targets)
	if err != nil {
		return err
	}
	if run.Trigger == integration.TriggerPeopleHRChange {
		// The day's closures since the last full import, which looked at
		// them all.
		before, err := integration.ChangeRunsBefore(ctx, w.store.ListRuns, run.TenantID, run.RunID, w.now().Add(-changeRunsLookBack))
		if err != nil {
			return err
		}
		planner.AlsoClosed(before.Counts.Closed)
	}
	if in.InvalidKeyStreak > 0 {
		if err := w.store.KeyAccepted(ctx, run.TenantID); err != nil {
			return err
		}
	}

	if err := r.phase(ctx, integration.PhasePlanning, planner.Rows()); err != nil {
		return err
	}
	members, err := w.store.Members(ctx, run.TenantID)
	if err != nil {
		return err
	}
	if err := r.readEach(ctx, apiKey, planner, planner.RelinkCandidates(members)); err != nil {
		return fetchFailure(ctx, err)
	}
	plan := planner.Plan(members)
	since, err := r.lastRunStart(ctx)
	if err != nil {
		return err
	}
	if plan.Held {
		run.Members = memberTotals(members, nil, since)
		return r.hold(ctx, plan)
	}
	run.Members = memberTotals(members, plan.Changes, since)
	before := appliedBefore(members, run.RunID)
	r.resumedEvents(members)
	welcomes := owedWelcomes(members)
	members = nil // the plan keeps what it needs; let a large tenant's list go

	leased := func(ctx context.Context, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error) {
		return w.store.ApplyLeased(ctx, r.lease, changes, done)
	}
	if err := r.apply(ctx, &plan, welcomes, leased); err != nil {
		return err
	}
	before.addTo(&plan.Counts)
	return r.finish(ctx, plan, in)
}

// apply writes the plan's changes with write, turns conflicts into row
// errors and queues the welcome emails owed: those of the changes and
// welcomes. A plan made just now under the run's lease is written under it
// (Store.ApplyLeased); a held plan being approved was not made under it,
// and is written with conditions only (Store.Apply).
func (r *runner) apply(ctx context.Context, plan *engine.Plan, welcomes []string, write func(context.Context, []engine.Change, *atomic.Int64) ([]engine.Conflict, error)) error {
	if err := r.phase(ctx, integration.PhaseApplying, len(plan.Changes)); err != nil {
		return err
	}
	conflicts, err := write(ctx, plan.Changes, &r.processed)
	if err != nil {
		return err
	}
	rejected := make(map[string]bool, len(conflicts))
	for _, c := range conflicts {
		rejected[c.Change.EmployeeID()] = true
		plan.Issues = append(plan.Issues, engine.Issue{
			Row: c.Change.Row, EmployeeID: c.Change.EmployeeID(), Message: c.Reason, Severity: engine.SeverityError,
		})
		plan.Counts.Errors++
		plan.Counts.Adjust(c.Change.Kind, -1)
	}
	for i := range plan.Changes {
		c := &plan.Changes[i]
		if rejected[c.EmployeeID()] {
			continue
		}
		r.applied = append(r.applied, c)
		if c.After.Welcome == engine.WelcomeOwed && c.After.Status != engine.StatusLeaver {
			welcomes = append(welcomes, c.EmployeeID())
		}
	}
	if err := r.phase(ctx, integration.PhaseEmailing, len(welcomes)); err != nil {
		return err
	}
	return r.queueWelcomes(ctx, welcomes)
}

// approve applies a held run's kept plan, exactly, as its approval run.
// Changes whose member moved on since are conflicts, not overwrites.
func (r *runner) approve(ctx context.Context, in *integration.Integration, s engine.Settings) error {
	held, err := r.w.store.GetRun(ctx, r.run.TenantID, r.run.Approves)
	if err != nil {
		return err
	}
	// The API queues an approval run only after its decision won, but the
	// job may outlive that decision (withdrawn, or a discard recorded
	// another way): only a plan still approved is applied.
	if held.Status != integration.StatusHeld || !strings.HasPrefix(held.Resolution, integration.ResolutionApproved) {
		return &runFailure{"the held import is no longer approved (it was discarded or is waiting for a decision): nothing was applied", fmt.Errorf("held run %s (%s) is not approved", held.RunID, held.Status)}
	}
	changes, err := r.w.store.HeldPlan(ctx, r.run.TenantID, r.run.Approves)
	if err != nil {
		return err
	}
	for i := range changes {
		engine.PlanPurge(&changes[i].After, s.Location)
	}
	plan := engine.Plan{Changes: changes, Counts: held.Counts}
	plan.Counts.Errors, plan.Counts.Warnings = 0, 0 // the held run's error file reported those
	conditional := func(ctx context.Context, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error) {
		return r.w.store.Apply(ctx, r.run.TenantID, r.run.RunID, changes, done)
	}
	if err := r.apply(ctx, &plan, nil, conditional); err != nil {
		return err
	}
	return r.finish(ctx, plan, in)
}

// applied counts, by kind, the changes this run made before it was
// interrupted: the members it last wrote.
type applied map[engine.Kind]int

func appliedBefore(members []engine.Member, runID string) applied {
	out := applied{}
	for i := range members {
		if members[i].LastRunID == runID {
			out[members[i].LastChange]++
		}
	}
	return out
}

// addTo moves changes applied before the interruption from "unchanged",
// where planning again put them, back to their kind.
func (a applied) addTo(c *engine.Counts) {
	for kind, n := range a {
		c.Adjust(kind, n)
		c.Unchanged -= n
	}
}

// memberEvent records the log line and the event of one applied change.
func (r *runner) memberEvent(k engine.Kind, after *engine.Member, fields []engine.Field, before *engine.Member) {
	entry, ev := r.lines(k, after, fields, before)
	r.entries, r.published = append(r.entries, entry), append(r.published, ev)
}

// lines builds the log line and the event of one applied change.
func (r *runner) lines(k engine.Kind, after *engine.Member, fields []engine.Field, before *engine.Member) (integration.LogEntry, events.Event) {
	entry := integration.LogEntry{EmployeeID: after.EmployeeID(), RunID: r.run.RunID, Action: string(k),
		Changes: []integration.FieldChange{}, Reason: reasonFor(k, after, before), At: r.w.now().UTC()}
	for _, f := range fields {
		old := ""
		if before != nil {
			old = before.Values.Get(f)
		}
		entry.Changes = append(entry.Changes, integration.FieldChange{Field: f.String(), Old: old, New: after.Values.Get(f)})
	}
	d := events.Member{
		TenantID: r.run.TenantID, RunID: r.run.RunID, EmployeeID: after.EmployeeID(),
		Fields: []string{}, Status: after.Status, OccurredAt: r.w.now().UTC(),
	}
	if k == engine.KindRelink {
		d.PreviousEmployeeID = before.EmployeeID()
	}
	for _, f := range fields {
		d.Fields = append(d.Fields, f.String())
	}
	return entry, events.Event{Type: events.MemberType(k), Detail: d}
}

// reasonFor says in words why a change was made.
func reasonFor(k engine.Kind, after, before *engine.Member) string {
	switch {
	case before == nil && k != engine.KindCreate:
		return "applied before the run was interrupted"
	case k == engine.KindCreate:
		return "new in PeopleHR"
	case k == engine.KindClose && after.LeftOn != "":
		return "left on " + after.LeftOn + "; account deleted on " + after.PurgeOn
	case k == engine.KindReactivate:
		return "active again in PeopleHR"
	case k == engine.KindRelink:
		return "employee id changed in PeopleHR from " + before.EmployeeID()
	}
	return "changed in PeopleHR"
}

// skips records the log lines of records skipped for an error.
func (r *runner) skips(issues []engine.Issue) {
	for _, is := range issues {
		if is.Severity == engine.SeverityError && is.EmployeeID != "" {
			r.entries = append(r.entries, integration.LogEntry{EmployeeID: is.EmployeeID, RunID: r.run.RunID, Action: integration.ActionSkip,
				Changes: []integration.FieldChange{}, Reason: is.Message, At: r.w.now().UTC()})
		}
	}
}

// resumedEvents records the events of changes this run applied before it
// was interrupted: at least once, whatever the interruption lost.
func (r *runner) resumedEvents(members []engine.Member) {
	for i := range members {
		if m := &members[i]; m.LastRunID == r.run.RunID {
			r.memberEvent(m.LastChange, m, nil, nil)
		}
	}
}

// owedWelcomes are the members still owed a welcome email, whichever run
// created them: queueing them again heals a queueing lost with a crash.
func owedWelcomes(members []engine.Member) []string {
	var out []string
	for i := range members {
		if members[i].Welcome == engine.WelcomeOwed && members[i].Status != engine.StatusLeaver {
			out = append(out, members[i].EmployeeID())
		}
	}
	return out
}

func (r *runner) queueWelcomes(ctx context.Context, ids []string) error {
	jobs := make([]integration.MailJob, len(ids))
	for i, id := range ids {
		jobs[i] = integration.MailJob{Kind: integration.MailWelcome, TenantID: r.run.TenantID, EmployeeID: id}
	}
	if err := r.w.mail.Send(ctx, jobs...); err != nil {
		return fmt.Errorf("queue welcome emails: %w", err)
	}
	return nil
}

// targets are the employees a change run reads one by one: those its
// window's notifications named. None (a full read) for every other run,
// and for a change run whose notifications named more than
// integration.MaxTargetedReads, or nothing it noted.
func (r *runner) targets(ctx context.Context) ([]string, error) {
	if r.run.Trigger != integration.TriggerPeopleHRChange {
		return nil, nil
	}
	named, err := r.w.store.ChangedEmployees(ctx, r.run.TenantID, r.run.RunID)
	if err != nil {
		return nil, err
	}
	if named.All || len(named.IDs) == 0 {
		r.log.Info("change run reads every employee", "many", named.All)
		return nil, nil
	}
	r.log.Info("change run reads the employees named", "employees", len(named.IDs))
	return named.IDs, nil
}

// fetch reads the feed into a planner, and says in plain words why it
// could not: every employee streamed (engine.Fetch), or, for a change run
// with targets, those employees one by one as a partial feed. A key that
// may read everyone but not one by one reads everyone.
func (r *runner) fetch(ctx context.Context, apiKey string, m engine.Mapping, s engine.Settings, targets []string) (*engine.Planner, error) {
	if targets != nil {
		planner, err := engine.NewPlanner(m, s, r.w.now())
		if err == nil {
			planner.Partial()
			err = r.readEach(ctx, apiKey, planner, targets)
		}
		if !errors.Is(err, peoplehr.ErrMissingPermission) {
			return planner, fetchFailure(ctx, err)
		}
		r.log.Warn("the key may not read employees one by one: reading every employee")
		r.processed.Store(0)
	}
	planner, err := engine.Fetch(ctx, r.w.feed, apiKey, m, s, r.w.now(), func(rows int) { r.processed.Store(int64(rows)) })
	return planner, fetchFailure(ctx, err)
}

// readEach reads the employees ids name into a partial feed's planner:
// each record PeopleHR has, and the others named gone.
func (r *runner) readEach(ctx context.Context, apiKey string, planner *engine.Planner, ids []string) error {
	for _, id := range ids {
		rec, err := r.w.feed.FetchEmployee(ctx, apiKey, id)
		switch {
		case errors.Is(err, peoplehr.ErrEmployeeNotFound):
			planner.Gone(id)
		case err != nil:
			return err
		default:
			planner.Add(rec)
		}
		r.processed.Add(1)
	}
	return nil
}

// fetchFailure says in plain words why reading PeopleHR failed with err;
// nil for nil.
func fetchFailure(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, engine.ErrInvalidMapping), errors.Is(err, engine.ErrInvalidSettings):
		return &runFailure{"the mapping or settings are invalid", err}
	case errors.Is(err, peoplehr.ErrInvalidKey):
		return &runFailure{"PeopleHR refused the API key: re-authorize with a valid key", err}
	case errors.Is(err, peoplehr.ErrMissingPermission):
		return &runFailure{`the API key lacks the Employee "Get All Employee Detail" permission`, err}
	case errors.Is(err, peoplehr.ErrRateLimited):
		return &runFailure{"PeopleHR's rate limit (about 30 calls a minute) stayed in force for the whole run: the next run will try again", err}
	case errors.Is(err, peoplehr.ErrMalformed):
		return &runFailure{"PeopleHR sent a malformed response (not the JSON it documents): the next run will try again", err}
	case errors.Is(err, peoplehr.ErrUnavailable):
		return &runFailure{"PeopleHR could not be reached after several attempts: the next run will try again", err}
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case err != nil:
		return &runFailure{"PeopleHR returned an error", err}
	}
	return nil
}

func (r *runner) hold(ctx context.Context, plan engine.Plan) error {
	if err := r.w.store.SaveHeldPlan(ctx, r.run.TenantID, r.run.RunID, plan.Changes); err != nil {
		return err
	}
	if err := r.writeErrorFile(ctx, plan.Issues); err != nil {
		return err
	}
	run := r.run
	run.Status, run.HeldReason, run.Counts = integration.StatusHeld, plan.HeldReason, plan.Counts
	r.log.Warn("run held: nothing applied", "reason", plan.HeldReason, "changes", len(plan.Changes))
	return r.end(ctx, true)
}

func (r *runner) finish(ctx context.Context, plan engine.Plan, in *integration.Integration) error {
	if err := r.writeErrorFile(ctx, plan.Issues); err != nil {
		return err
	}
	r.skips(plan.Issues)
	run := r.run
	run.Counts = plan.Counts
	run.Status = integration.StatusSucceeded
	if plan.Counts.Errors > 0 {
		run.Status = integration.StatusSucceededWithErrors
	}
	c := plan.Counts
	r.log.Info("run finished", "status", run.Status, "created", c.Created, "updated", c.Updated,
		"unchanged", c.Unchanged, "closed", c.Closed, "reactivated", c.Reactivated,
		"skippedLeavers", c.SkippedLeavers, "errors", c.Errors, "warnings", c.Warnings, "total", c.Total,
		"resumed", r.resumed, "durationMs", r.w.now().Sub(run.StartedAt).Milliseconds())
	// A change run sends no summary of its own: PeopleHR's notifications
	// can start one every 20 seconds, and the next full import's summary
	// tells what they applied since the one before, so it is owed when
	// they changed anything, even if the import itself changed nothing.
	// Held ones still do: they wait for the admin.
	if run.Trigger == integration.TriggerPeopleHRChange {
		return r.end(ctx, false)
	}
	summary := c.Changed() || c.Errors > 0 || c.Warnings > 0 || in.Settings.EmailWhenNothingChanged
	if !summary {
		before, err := integration.ChangeRunsBefore(ctx, r.w.store.ListRuns, run.TenantID, run.RunID, time.Time{})
		if err != nil {
			return err
		}
		summary = before.Counts.Changed()
	}
	return r.end(ctx, summary)
}

// end records the finished run and queues its summary if one is owed. The
// record is saved first: a crash between the two leaves the summary owed,
// and the redelivered job queues it (Worker.resendSummary).
func (r *runner) end(ctx context.Context, summary bool) error {
	r.stopWatching()
	run := r.run
	run.Phase, run.Processed, run.FinishedAt = "", run.Total, r.w.now()
	if summary {
		run.Summary = integration.MailOwed
	}
	// Logged and published before the run is recorded finished: a crash
	// between them writes them again on redelivery (at least once).
	if err := r.logAndPublish(ctx); err != nil {
		return err
	}
	if err := r.w.store.SaveRun(ctx, run); err != nil {
		return err
	}
	return r.w.resendSummary(ctx, run)
}

// logChunk bounds the log lines and events of applied changes a run holds
// at once: they are built a chunk at a time as they are written, so a
// 100,000-employee import never holds 100,000 of each (BENCHMARKS.md).
const logChunk = 500

// logAndPublish writes the run's provisioning log lines and publishes its
// events, the import's event last.
func (r *runner) logAndPublish(ctx context.Context) error {
	entries, evs := r.entries, r.published
	for start := 0; ; start += logChunk {
		for _, c := range r.applied[min(start, len(r.applied)):min(start+logChunk, len(r.applied))] {
			entry, ev := r.lines(c.Kind, &c.After, c.Fields, c.Before)
			entries, evs = append(entries, entry), append(evs, ev)
		}
		last := start+logChunk >= len(r.applied)
		if err := r.w.store.SaveLog(ctx, r.run.TenantID, entries); err != nil {
			return err
		}
		if err := r.w.bus.Publish(ctx, evs...); err != nil {
			return err
		}
		if last {
			// On its own: Publish puts its batches at once, in no order.
			return r.w.bus.Publish(ctx, r.importEvent())
		}
		entries, evs = nil, nil
	}
}

func (r *runner) importEvent() events.Event {
	run := r.run
	typ := events.ImportCompleted
	if run.Status == integration.StatusHeld {
		typ = events.ImportHeld
	}
	return events.Event{Type: typ, Detail: events.Import{
		TenantID: run.TenantID, RunID: run.RunID, Trigger: string(run.Trigger), Status: string(run.Status),
		Counts: run.Counts, HeldReason: run.HeldReason, FailureReason: run.FailureReason,
		ErrorFile: run.ErrorFileKey != "", FinishedAt: run.FinishedAt.UTC(),
	}}
}

func (r *runner) writeErrorFile(ctx context.Context, issues []engine.Issue) error {
	if len(issues) == 0 {
		r.run.ErrorFileKey = ""
		return nil
	}
	key, err := r.w.files.Put(ctx, r.run.TenantID, r.run.RunID, issues)
	if err != nil {
		return err
	}
	r.run.ErrorFileKey = key
	return nil
}

// phase moves the run to a new phase and saves it at once, unless the key
// was revoked meanwhile, then watches it.
func (r *runner) phase(ctx context.Context, p integration.Phase, total int) error {
	r.stopWatching()
	if err := r.checkRevoked(ctx); err != nil {
		return err
	}
	r.run.Phase, r.run.Processed, r.run.Total = p, 0, total
	// A new slice: the phase before's watcher saved a copy sharing the old.
	r.run.Phases = append(slices.Clip(r.run.Phases), integration.PhaseTime{Phase: p, StartedAt: r.w.now()})
	r.processed.Store(0)
	if err := r.w.store.SaveRun(ctx, r.run); err != nil {
		return err
	}
	r.watch(ctx, *r.run)
	return nil
}

// watch saves the phase's progress, every progressEvery when it moved, and
// now and then checks that the key was not revoked, on a ticker of its
// own: the fetch and the appliers only count in processed, so none of
// their writers waits on a table call of the run's. saved is the run as
// the phase saved it. A failed progress write is only logged: the run
// itself is what matters.
func (r *runner) watch(ctx context.Context, saved integration.Run) {
	quit, done := make(chan struct{}), make(chan struct{})
	r.stopWatch = func() { close(quit); <-done }
	go func() {
		defer close(done)
		t := time.NewTicker(r.w.progressEvery)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if n := int(r.processed.Load()); n != saved.Processed {
				saved.Processed = n
				if err := r.w.store.SaveRun(ctx, &saved); err != nil {
					r.log.Warn("save progress", "error", err)
				}
			}
			if r.w.now().Sub(r.lastChecked) >= revokeCheckEvery {
				_ = r.checkRevoked(ctx) // stops the run's context if so
			}
		}
	}()
}

// stopWatching stops the phase's watcher and waits for it (a progress
// write in flight lands first), so none lands after the record the run
// saves next.
func (r *runner) stopWatching() {
	if r.stopWatch != nil {
		r.stopWatch()
		r.stopWatch = nil
	}
}

// checkRevoked stops the run, after the writes in flight, when the key it
// started with was revoked or replaced.
func (r *runner) checkRevoked(ctx context.Context) error {
	r.lastChecked = r.w.now()
	if r.keyAddedAt.IsZero() {
		return nil
	}
	in, err := r.w.store.GetIntegration(ctx, r.run.TenantID)
	if err != nil {
		return nil // the next check or write will tell
	}
	if in.Key == nil || !in.Key.AddedAt.Equal(r.keyAddedAt) {
		r.stop(errRevoked)
		return errRevoked
	}
	return nil
}

// fail ends the run as failed when the reason is one retrying cannot fix,
// in words for the admin. Any other error (the table or S3 failing after
// the SDK's retries, a lost lease) leaves the run unfinished and goes back
// to the queue: the redelivered job resumes it.
func (r *runner) fail(ctx context.Context, err error) error {
	if errors.Is(err, errRevoked) || errors.Is(context.Cause(ctx), errRevoked) {
		return r.cancelled(context.WithoutCancel(ctx))
	}
	var rf *runFailure
	if !errors.As(err, &rf) {
		r.log.Error("run interrupted: the job will be retried", "error", err)
		return err
	}
	r.log.Error("run failed", "reason", rf.reason, "error", err)
	if errors.Is(err, peoplehr.ErrInvalidKey) {
		owed, kerr := r.w.store.KeyRefused(ctx, r.run.TenantID)
		if kerr != nil {
			return kerr
		}
		if owed {
			r.log.Warn("integration needs re-authorization: admin to be emailed")
			if err := r.w.mail.Send(ctx, integration.MailJob{Kind: integration.MailReauth, TenantID: r.run.TenantID}); err != nil {
				return err
			}
		}
	}
	r.run.Status, r.run.FailureReason = integration.StatusFailed, rf.reason
	return r.end(ctx, true)
}

// cancelled ends a run stopped by a revoked key, counting what it applied.
func (r *runner) cancelled(ctx context.Context) error {
	members, err := r.w.store.Members(ctx, r.run.TenantID)
	if err != nil {
		return err
	}
	var c engine.Counts
	appliedBefore(members, r.run.RunID).addTo(&c)
	c.Unchanged = 0
	r.run.Counts, r.run.Status = c, integration.StatusCancelled
	r.run.FailureReason = "The PeopleHR key was revoked: the run stopped after its current batch."
	r.log.Warn("run cancelled: key revoked", "applied", c.Created+c.Updated+c.Closed+c.Reactivated)
	return r.end(ctx, true)
}

// lastRunStart is when the tenant's run before this one started: members
// who joined after it joined "since the last import". Zero when there was
// none.
func (r *runner) lastRunStart(ctx context.Context) (time.Time, error) {
	runs, _, err := r.w.store.ListRuns(ctx, r.run.TenantID, "", 2)
	if err != nil {
		return time.Time{}, fmt.Errorf("read the last run: %w", err)
	}
	for _, prev := range runs {
		if prev.RunID != r.run.RunID {
			return prev.StartedAt, nil
		}
	}
	return time.Time{}, nil
}

// memberTotals counts the directory as changes leave members: those who
// are not leavers, those of them who joined, and who joined after since.
func memberTotals(members []engine.Member, changes []engine.Change, since time.Time) *integration.MemberTotals {
	t := &integration.MemberTotals{}
	count := func(m *engine.Member, n int) {
		if m == nil || m.Status == engine.StatusLeaver {
			return
		}
		t.Members += n
		if m.Accepted {
			t.Joined += n
			if m.JoinedAt.After(since) {
				t.JoinedSinceLast += n
			}
		}
	}
	for i := range members {
		count(&members[i], 1)
	}
	for i := range changes {
		count(changes[i].Before, -1)
		count(&changes[i].After, 1)
	}
	return t
}

// changeRunsLookBack is how far back the closures of change runs count
// against the safeguard with a change run's own.
const changeRunsLookBack = 24 * time.Hour
