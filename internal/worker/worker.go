package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/events"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/logging"
)

// Store is what a run reads and writes in the table.
type Store interface {
	GetIntegration(ctx context.Context, tenant string) (*integration.Integration, error)
	GetRun(ctx context.Context, tenant, runID string) (*integration.Run, error)
	ListRuns(ctx context.Context, tenant, cursor string, limit int) ([]*integration.Run, string, error)
	CreateRun(ctx context.Context, r *integration.Run) error
	SaveRun(ctx context.Context, r *integration.Run) error
	Members(ctx context.Context, tenant string) ([]engine.Member, error)
	Apply(ctx context.Context, tenant, runID string, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error)
	ApplyLeased(ctx context.Context, lease integration.Lease, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error)
	SaveHeldPlan(ctx context.Context, tenant, runID string, changes []engine.Change) error
	HeldPlan(ctx context.Context, tenant, runID string) ([]engine.Change, error)
	AcquireLease(ctx context.Context, tenant, runID string, ttl time.Duration) (integration.Lease, error)
	RenewLease(ctx context.Context, lease integration.Lease, ttl time.Duration) (integration.Lease, error)
	ReleaseLease(ctx context.Context, lease integration.Lease) error
	KeyRefused(ctx context.Context, tenant string) (noticeOwed bool, err error)
	KeyAccepted(ctx context.Context, tenant string) error
	SaveLog(ctx context.Context, tenant string, entries []integration.LogEntry) error
	ChangedEmployees(ctx context.Context, tenant, runID string) (integration.ChangedEmployees, error)
}

// Feed reads a tenant's PeopleHR employees: all of them streamed, or one
// by id (an error matching peoplehr.ErrEmployeeNotFound when PeopleHR no
// longer knows it).
type Feed interface {
	FetchAll(ctx context.Context, apiKey string, start func() func(rec map[string]string) error) (int, error)
	FetchEmployee(ctx context.Context, apiKey, employeeID string) (map[string]string, error)
}

// Keys opens sealed API keys.
type Keys interface {
	Open(ctx context.Context, tenant string, sealed []byte) (string, error)
}

// ErrorFiles keeps a run's error file and returns where.
type ErrorFiles interface {
	Put(ctx context.Context, tenant, runID string, issues []engine.Issue) (string, error)
}

// Mail queues emails for the mailer.
type Mail interface {
	Send(ctx context.Context, jobs ...integration.MailJob) error
}

// Events publishes lifecycle events.
type Events interface {
	Publish(ctx context.Context, evs ...events.Event) error
}

// ErrBusy means the tenant has another run in progress: try the job later.
var ErrBusy = errors.New("tenant busy with another run")

// Worker runs imports.
type Worker struct {
	store Store
	feed  Feed
	keys  Keys
	files ErrorFiles
	mail  Mail
	bus   Events
	log   *slog.Logger
	now   func() time.Time
	// progressEvery spaces progress writes: a 100k run must not write its
	// run record 100k times.
	progressEvery time.Duration
	// leaseTTL is how long a crashed worker keeps its tenant; heartbeats
	// renew it every third of it.
	leaseTTL time.Duration
}

// Option changes a Worker's defaults.
type Option func(*Worker)

// WithClock replaces the wall clock.
func WithClock(now func() time.Time) Option { return func(w *Worker) { w.now = now } }

// WithProgressEvery sets how often progress is saved while a run works.
func WithProgressEvery(d time.Duration) Option { return func(w *Worker) { w.progressEvery = d } }

// New builds a Worker; every port is required, and the spacings must be
// positive.
func New(store Store, feed Feed, keys Keys, files ErrorFiles, mail Mail, bus Events, log *slog.Logger, opts ...Option) (*Worker, error) {
	if store == nil || feed == nil || keys == nil || files == nil || mail == nil || bus == nil || log == nil {
		return nil, errors.New("worker: every dependency is required")
	}
	w := &Worker{
		store: store, feed: feed, keys: keys, files: files, mail: mail, bus: bus, log: log,
		now: time.Now, progressEvery: time.Second, leaseTTL: 2 * time.Minute,
	}
	for _, o := range opts {
		o(w)
	}
	if w.progressEvery <= 0 || w.leaseTTL <= 0 {
		return nil, errors.New("worker: progress and lease spacings must be positive")
	}
	return w, nil
}

// Run performs the job's run, holding the tenant's lease while it works.
//
// A job whose run already finished only re-queues the emails the run still
// owes (its summary may have been lost with a crash). A job whose run is
// live elsewhere (a duplicate delivery) is a no-op. A job for a tenant busy
// with another run returns ErrBusy. A run interrupted before (crash, lost
// lease) is resumed: it plans again against what is stored and counts what
// it had already applied from the members it wrote.
//
// The returned error means "deliver this job again"; a run that failed for
// a reason retrying cannot fix is recorded as failed and returns nil.
func (w *Worker) Run(ctx context.Context, job integration.Job) (*integration.Run, error) {
	if !integration.ValidTenantID(job.TenantID) || job.RunID == "" {
		return nil, fmt.Errorf("job without a valid tenant or run id")
	}
	log := logging.For(ctx, w.log).With("tenantId", job.TenantID, "runId", job.RunID)
	if err := w.awaitWindow(ctx, job); err != nil {
		return nil, err
	}
	run, err := w.startRun(ctx, job)
	if err != nil {
		return nil, err
	}
	if run.Status.Finished() {
		log.Info("run already finished: nothing to do", "status", run.Status)
		return run, w.resendSummary(ctx, run)
	}

	lease, err := w.store.AcquireLease(ctx, job.TenantID, job.RunID, w.leaseTTL)
	var held *integration.LeaseHeldError
	switch {
	case errors.As(err, &held) && held.RunID == job.RunID:
		log.Info("run already in progress elsewhere: duplicate job ignored")
		return run, nil
	case errors.As(err, &held):
		log.Info("tenant busy: job deferred", "busyWith", held.RunID)
		return run, fmt.Errorf("%w %s", ErrBusy, held.RunID)
	case err != nil:
		return run, err
	}
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go w.heartbeat(runCtx, stop, lease, log)

	r := &runner{w: w, run: run, lease: lease, log: log, stop: stop, resumed: run.Status == integration.StatusRunning}
	err = r.execute(runCtx)
	if err != nil {
		err = r.fail(runCtx, err)
	}
	r.stopWatching() // an interrupted run ends without its record
	// Released with the job's context: a crashed (cancelled) worker keeps
	// the lease until it expires, like one that died; a run stopped by a
	// revoked key was not cancelled from outside and releases it.
	if relErr := w.store.ReleaseLease(ctx, lease); relErr != nil && err == nil {
		log.Warn("lease not released: it will expire", "error", relErr)
	}
	return run, err
}

// awaitWindow waits, for a change run, until its window of notifications
// has closed, so the run reads PeopleHR after every change they name; a
// wait never lasts longer than a window and its settling time, whatever the
// job says.
func (w *Worker) awaitWindow(ctx context.Context, job integration.Job) error {
	wait := min(job.NotBefore.Sub(w.now()), integration.ChangeWindow+integration.ChangeSettle)
	if job.Trigger != integration.TriggerPeopleHRChange || wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// heartbeat renews the lease until ctx ends. A lost lease stops the run,
// and so does a lease it could not renew for half its TTL: the run writes
// new members trusting the lease (Store.ApplyLeased), so it must stop
// writing well before another worker could take the tenant. The writes in
// flight then land, or fail, with a third of the TTL to spare.
func (w *Worker) heartbeat(ctx context.Context, stop context.CancelCauseFunc, lease integration.Lease, log *slog.Logger) {
	t := time.NewTicker(w.leaseTTL / 3)
	defer t.Stop()
	renewed := time.Now() // the lease was taken just before
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			renewedLease, err := w.store.RenewLease(ctx, lease, w.leaseTTL)
			switch {
			case err == nil:
				lease, renewed = renewedLease, time.Now()
			case errors.Is(err, integration.ErrLeaseLost):
				log.Error("lease lost: stopping the run")
				stop(err)
				return
			case time.Since(renewed) >= w.leaseTTL/2:
				log.Error("lease not renewed for half its time: stopping the run before it can expire", "error", err)
				stop(fmt.Errorf("%w: not renewed for %s", integration.ErrLeaseLost, time.Since(renewed).Round(time.Second)))
				return
			default:
				log.Warn("lease not renewed: will try again", "error", err)
			}
		}
	}
}

// startRun reads the job's run, creating it if the job came without one.
func (w *Worker) startRun(ctx context.Context, job integration.Job) (*integration.Run, error) {
	run, err := w.store.GetRun(ctx, job.TenantID, job.RunID)
	if errors.Is(err, integration.ErrNotFound) {
		run = &integration.Run{
			TenantID: job.TenantID, RunID: job.RunID, Trigger: job.Trigger, Approves: job.Approves,
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

// resendSummary queues the summary of a finished run again while it is
// owed: the first queueing may have been lost with a crash. The mailer's
// claim makes a second copy harmless.
func (w *Worker) resendSummary(ctx context.Context, run *integration.Run) error {
	if run.Summary != integration.MailOwed {
		return nil
	}
	return w.mail.Send(ctx, integration.MailJob{Kind: integration.MailSummary, TenantID: run.TenantID, RunID: run.RunID})
}

// Handle runs a job's run for a queue consumer, which only needs to know
// whether to deliver the job again.
func (w *Worker) Handle(ctx context.Context, job integration.Job) error {
	_, err := w.Run(ctx, job)
	return err
}
