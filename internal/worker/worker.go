package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/peoplesync/peoplesync/internal/dynamo"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/logging"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
	"github.com/peoplesync/peoplesync/internal/sync"
)

// Store is what a run reads and writes in the table.
type Store interface {
	GetIntegration(ctx context.Context, tenant string) (*integration.Integration, error)
	GetRun(ctx context.Context, tenant, runID string) (*integration.Run, error)
	CreateRun(ctx context.Context, r *integration.Run) error
	SaveRun(ctx context.Context, r *integration.Run) error
	Members(ctx context.Context, tenant string) ([]sync.Member, error)
	Apply(ctx context.Context, tenant string, loc *time.Location, changes []sync.Change, progress func(done int)) ([]dynamo.Conflict, error)
	SaveHeldPlan(ctx context.Context, tenant, runID string, changes []sync.Change) error
}

// Feed streams a tenant's PeopleHR employees.
type Feed interface {
	FetchAll(ctx context.Context, apiKey string, start func() func(rec map[string]string) error) (int, error)
}

// Keys opens sealed API keys.
type Keys interface {
	Open(ctx context.Context, tenant string, sealed []byte) (string, error)
}

// ErrorFiles keeps a run's error file and returns where.
type ErrorFiles interface {
	Put(ctx context.Context, tenant, runID string, issues []sync.Issue) (string, error)
}

// Worker runs imports.
type Worker struct {
	store Store
	feed  Feed
	keys  Keys
	files ErrorFiles
	log   *slog.Logger
	now   func() time.Time
	// progressEvery spaces progress writes: a 100k run must not write its
	// run record 100k times.
	progressEvery time.Duration
}

// Option changes a Worker's defaults.
type Option func(*Worker)

// WithClock replaces the wall clock.
func WithClock(now func() time.Time) Option { return func(w *Worker) { w.now = now } }

// WithProgressEvery sets how often progress is saved while a run works.
func WithProgressEvery(d time.Duration) Option { return func(w *Worker) { w.progressEvery = d } }

// New builds a Worker; every port is required.
func New(store Store, feed Feed, keys Keys, files ErrorFiles, log *slog.Logger, opts ...Option) (*Worker, error) {
	if store == nil || feed == nil || keys == nil || files == nil || log == nil {
		return nil, errors.New("worker: every dependency is required")
	}
	w := &Worker{store: store, feed: feed, keys: keys, files: files, log: log, now: time.Now, progressEvery: time.Second}
	for _, o := range opts {
		o(w)
	}
	return w, nil
}

// Run performs the job's run. A run that already finished is left as it is
// (a second delivery of the same job), so delivering a job twice never
// writes twice. The returned error is for the queue: it means "try this job
// again"; a run that failed for a reason retrying cannot fix is recorded as
// failed and returns nil.
func (w *Worker) Run(ctx context.Context, job integration.Job) (*integration.Run, error) {
	if !integration.ValidTenantID(job.TenantID) || job.RunID == "" {
		return nil, fmt.Errorf("job without a valid tenant or run id")
	}
	log := logging.For(ctx, w.log).With("tenantId", job.TenantID, "runId", job.RunID)
	run, err := w.startRun(ctx, job)
	if err != nil {
		return nil, err
	}
	if run.Status.Finished() {
		log.Info("run already finished: nothing to do", "status", run.Status)
		return run, nil
	}
	r := &runner{w: w, run: run, log: log}
	if err := r.execute(ctx); err != nil {
		return run, r.fail(ctx, err)
	}
	return run, nil
}

// startRun reads the job's run, creating it if the job came without one.
func (w *Worker) startRun(ctx context.Context, job integration.Job) (*integration.Run, error) {
	run, err := w.store.GetRun(ctx, job.TenantID, job.RunID)
	if errors.Is(err, integration.ErrNotFound) {
		run = &integration.Run{
			TenantID: job.TenantID, RunID: job.RunID, Trigger: job.Trigger,
			Status: integration.StatusQueued, QueuedAt: w.now(),
		}
		if err = w.store.CreateRun(ctx, run); errors.Is(err, integration.ErrConflict) {
			return w.store.GetRun(ctx, job.TenantID, job.RunID)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("start run: %w", err)
	}
	return run, nil
}

// runFailure is a reason the run cannot succeed, in words for the admin.
type runFailure struct {
	reason string
	err    error
}

func (f *runFailure) Error() string { return f.reason + ": " + f.err.Error() }
func (f *runFailure) Unwrap() error { return f.err }

type runner struct {
	w         *Worker
	run       *integration.Run
	log       *slog.Logger
	lastSaved time.Time
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

	run.Status = integration.StatusRunning
	if run.StartedAt.IsZero() {
		run.StartedAt = w.now()
	}
	if err := r.phase(ctx, integration.PhaseFetching, 0); err != nil {
		return err
	}
	apiKey, err := w.keys.Open(ctx, run.TenantID, in.Key.Ciphertext)
	if err != nil {
		return &runFailure{"the stored PeopleHR key could not be opened: re-authorize", err}
	}
	planner, err := r.fetch(ctx, apiKey, in.Mapping, settings)
	if err != nil {
		return err
	}

	if err := r.phase(ctx, integration.PhasePlanning, planner.Rows()); err != nil {
		return err
	}
	members, err := w.store.Members(ctx, run.TenantID)
	if err != nil {
		return err
	}
	plan := planner.Plan(members)
	members = nil // the plan keeps what it needs; let a large tenant's list go
	if plan.Held {
		return r.hold(ctx, plan)
	}

	if err := r.phase(ctx, integration.PhaseApplying, len(plan.Changes)); err != nil {
		return err
	}
	conflicts, err := w.store.Apply(ctx, run.TenantID, settings.Location, plan.Changes, func(done int) {
		r.progress(ctx, done)
	})
	if err != nil {
		return err
	}
	for _, c := range conflicts {
		plan.Issues = append(plan.Issues, sync.Issue{
			Row: c.Change.Row, EmployeeID: c.Change.EmployeeID(), Message: c.Reason, Severity: sync.SeverityError,
		})
		plan.Counts.Errors++
		plan.Counts.Adjust(c.Change.Kind, -1)
	}
	return r.finish(ctx, plan, in)
}

// fetch streams the feed into a planner; a retried fetch starts a fresh one.
func (r *runner) fetch(ctx context.Context, apiKey string, m sync.Mapping, s sync.Settings) (*sync.Planner, error) {
	var planner *sync.Planner
	var planErr error
	_, err := r.w.feed.FetchAll(ctx, apiKey, func() func(map[string]string) error {
		planner, planErr = sync.NewPlanner(m, s, r.w.now())
		return func(rec map[string]string) error {
			if planErr != nil {
				return planErr
			}
			planner.Add(rec)
			r.progress(ctx, planner.Rows())
			return nil
		}
	})
	switch {
	case planErr != nil:
		return nil, &runFailure{"the mapping or settings are invalid", planErr}
	case errors.Is(err, peoplehr.ErrInvalidKey):
		return nil, &runFailure{"PeopleHR refused the API key: re-authorize with a valid key", err}
	case errors.Is(err, peoplehr.ErrMissingPermission):
		return nil, &runFailure{`the API key lacks the Employee "Get All Employee Detail" permission`, err}
	case errors.Is(err, peoplehr.ErrUnavailable):
		return nil, &runFailure{"PeopleHR could not be reached after several attempts: the next run will try again", err}
	case err != nil:
		return nil, &runFailure{"PeopleHR returned an error", err}
	}
	return planner, nil
}

func (r *runner) hold(ctx context.Context, plan sync.Plan) error {
	if err := r.w.store.SaveHeldPlan(ctx, r.run.TenantID, r.run.RunID, plan.Changes); err != nil {
		return err
	}
	if err := r.writeErrorFile(ctx, plan.Issues); err != nil {
		return err
	}
	run := r.run
	run.Status, run.HeldReason, run.Counts = integration.StatusHeld, plan.HeldReason, plan.Counts
	run.Phase, run.FinishedAt, run.SummaryOwed = "", r.w.now(), true
	if err := r.w.store.SaveRun(ctx, run); err != nil {
		return err
	}
	r.log.Warn("run held: nothing applied", "reason", plan.HeldReason, "changes", len(plan.Changes))
	return nil
}

func (r *runner) finish(ctx context.Context, plan sync.Plan, in *integration.Integration) error {
	if err := r.writeErrorFile(ctx, plan.Issues); err != nil {
		return err
	}
	run := r.run
	run.Counts = plan.Counts
	run.Status = integration.StatusSucceeded
	if plan.Counts.Errors > 0 {
		run.Status = integration.StatusSucceededWithErrors
	}
	run.Phase, run.Processed, run.FinishedAt = "", run.Total, r.w.now()
	run.SummaryOwed = plan.Counts.Changed() || plan.Counts.Errors > 0 || plan.Counts.Warnings > 0 ||
		in.Settings.EmailWhenNothingChanged
	if err := r.w.store.SaveRun(ctx, run); err != nil {
		return err
	}
	c := plan.Counts
	r.log.Info("run finished", "status", run.Status, "created", c.Created, "updated", c.Updated,
		"unchanged", c.Unchanged, "closed", c.Closed, "reactivated", c.Reactivated,
		"skippedLeavers", c.SkippedLeavers, "errors", c.Errors, "warnings", c.Warnings, "total", c.Total,
		"durationMs", run.FinishedAt.Sub(run.StartedAt).Milliseconds())
	return nil
}

func (r *runner) writeErrorFile(ctx context.Context, issues []sync.Issue) error {
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

// phase moves the run to a new phase and saves it at once.
func (r *runner) phase(ctx context.Context, p integration.Phase, total int) error {
	r.run.Phase, r.run.Processed, r.run.Total = p, 0, total
	r.lastSaved = r.w.now()
	return r.w.store.SaveRun(ctx, r.run)
}

// progress records processed and saves it now and then. A failed progress
// write is only logged: the run itself is what matters.
func (r *runner) progress(ctx context.Context, done int) {
	r.run.Processed = done
	if now := r.w.now(); now.Sub(r.lastSaved) >= r.w.progressEvery {
		r.lastSaved = now
		if err := r.w.store.SaveRun(ctx, r.run); err != nil {
			r.log.Warn("save progress", "error", err)
		}
	}
}

// fail ends the run as failed when the reason is one retrying cannot fix,
// in words for the admin. Any other error (the table or S3 failing after
// the SDK's retries) leaves the run unfinished and goes back to the queue:
// the redelivered job plans again against what was applied and converges.
func (r *runner) fail(ctx context.Context, err error) error {
	var rf *runFailure
	if !errors.As(err, &rf) {
		r.log.Error("run interrupted: the job will be retried", "error", err)
		return err
	}
	run := r.run
	run.Status, run.Phase, run.FinishedAt, run.SummaryOwed = integration.StatusFailed, "", r.w.now(), true
	run.FailureReason = rf.reason
	r.log.Error("run failed", "reason", rf.reason, "error", err)
	if saveErr := r.w.store.SaveRun(ctx, run); saveErr != nil {
		return fmt.Errorf("record failed run: %w", saveErr)
	}
	return nil
}
