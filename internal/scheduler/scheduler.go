// Package scheduler queues the imports whose slot has come, and the
// invitation reminders whose local day and hour have come. Each tick reads
// the sparse due index (never the table), queues one job per due tenant
// with the slot's deterministic run id, and only then advances the tenant
// to its next slot. A tick that crashes between the two queues the same
// slot again on the next tick, which SQS FIFO deduplication (run id) turns
// into one job; two ticks at once both queue (one job) and one advances.
//
// A due reminder stays due until the mailer claims it, which takes it out
// of the index: a tick queues it again if the mailer has not yet, and the
// claim (conditional on the reminders sent) makes the copies no-ops.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/sync/errgroup"

	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/logging"
)

// Store reads due integrations and reminders, and advances schedules.
type Store interface {
	DueIntegrations(ctx context.Context, bucket int, now time.Time) ([]integration.Due, error)
	AdvanceSchedule(ctx context.Context, tenant string, slot, next, dueAt time.Time) error
	DueReminders(ctx context.Context, bucket int, now time.Time) ([]integration.DueReminder, error)
}

// Jobs queues import jobs.
type Jobs interface {
	Send(ctx context.Context, jobs ...integration.Job) error
}

// Mail queues mail jobs.
type Mail interface {
	Send(ctx context.Context, jobs ...integration.MailJob) error
}

// Scheduler runs ticks.
type Scheduler struct {
	store Store
	jobs  Jobs
	mail  Mail
	log   *slog.Logger
	now   func() time.Time
}

// New builds a Scheduler; now is the clock (time.Now in Lambda).
func New(store Store, jobs Jobs, mail Mail, log *slog.Logger, now func() time.Time) (*Scheduler, error) {
	if store == nil || jobs == nil || mail == nil || log == nil || now == nil {
		return nil, errors.New("scheduler: every dependency is required")
	}
	return &Scheduler{store: store, jobs: jobs, mail: mail, log: log, now: now}, nil
}

// Result is what one tick did.
type Result struct {
	Queued   int
	Advanced int
	// Reminders is how many due reminders were queued.
	Reminders int
}

// jobsPerSend is SQS's batch limit: due tenants are queued ten to a
// SendMessageBatch, whichever buckets they come from, so 10,000 due tenants
// cost 1,000 SQS calls.
const jobsPerSend = 10

// Tick queues every due slot. The buckets are read in parallel, then their
// tenants are queued together, ten a call, each batch advancing its tenants
// once sent. An error in one bucket or batch does not stop the others, and
// whatever was not queued stays due for the next tick.
func (s *Scheduler) Tick(ctx context.Context) (Result, error) {
	now := s.now()
	log := logging.For(ctx, s.log)
	buckets := make([][]integration.Due, integration.DueBuckets)
	errs := make([]error, integration.DueBuckets)
	var g errgroup.Group
	g.SetLimit(4)
	for b := range integration.DueBuckets {
		g.Go(func() error {
			buckets[b], errs[b] = s.store.DueIntegrations(ctx, b, now)
			return nil
		})
	}
	_ = g.Wait() // errors are collected per bucket
	var due []integration.Due
	for _, b := range buckets {
		due = append(due, b...)
	}
	batches := (len(due) + jobsPerSend - 1) / jobsPerSend
	results := make([]Result, batches)
	sendErrs := make([]error, batches)
	for i := range batches {
		g.Go(func() error {
			results[i], sendErrs[i] = s.queue(ctx, due[i*jobsPerSend:min((i+1)*jobsPerSend, len(due))], now, log)
			return nil
		})
	}
	_ = g.Wait() // errors are collected per batch
	var total Result
	for _, r := range results {
		total.Queued += r.Queued
		total.Advanced += r.Advanced
	}
	var remindErr error
	total.Reminders, remindErr = s.reminders(ctx, now)
	err := errors.Join(append(append(errs, sendErrs...), remindErr)...)
	log.Info("scheduler tick", "queued", total.Queued, "advanced", total.Advanced, "reminders", total.Reminders, "failed", err != nil)
	return total, err
}

// reminders queues every due reminder, the shards read in parallel. What
// is not queued stays due for the next tick.
func (s *Scheduler) reminders(ctx context.Context, now time.Time) (int, error) {
	var g errgroup.Group
	g.SetLimit(4)
	queued := make([]int, integration.DueBuckets)
	errs := make([]error, integration.DueBuckets)
	for b := range integration.DueBuckets {
		g.Go(func() error {
			due, err := s.store.DueReminders(ctx, b, now)
			if err != nil {
				errs[b] = err
				return nil
			}
			jobs := make([]integration.MailJob, len(due))
			for i, r := range due {
				jobs[i] = integration.MailJob{Kind: integration.MailReminder, TenantID: r.TenantID, EmployeeID: r.EmployeeID, Reminder: r.N}
			}
			if err := s.mail.Send(ctx, jobs...); err != nil {
				errs[b] = fmt.Errorf("queue reminders: %w", err)
				return nil
			}
			queued[b] = len(jobs)
			return nil
		})
	}
	_ = g.Wait() // errors are collected per shard
	total := 0
	for _, n := range queued {
		total += n
	}
	return total, errors.Join(errs...)
}

// queue sends one batch of due slots, then advances each tenant.
func (s *Scheduler) queue(ctx context.Context, batch []integration.Due, now time.Time, log *slog.Logger) (Result, error) {
	var res Result
	jobs := make([]integration.Job, len(batch))
	for i, d := range batch {
		jobs[i] = integration.Job{TenantID: d.TenantID, RunID: integration.SlotRunID(d.NextRunAt), Trigger: integration.TriggerSchedule}
	}
	if err := s.jobs.Send(ctx, jobs...); err != nil {
		return res, fmt.Errorf("queue scheduled jobs: %w", err)
	}
	res.Queued = len(jobs)
	for _, d := range batch {
		ok, err := s.advance(ctx, d, now)
		if err != nil {
			log.Error("schedule not advanced: the slot stays due", "tenantId", d.TenantID, "error", err)
			continue
		}
		if ok {
			res.Advanced++
		}
	}
	return res, nil
}

// advance moves a tenant past the slot just queued. A tenant far behind
// (the scheduler was down) runs once now and then resumes its schedule,
// rather than once per missed slot.
func (s *Scheduler) advance(ctx context.Context, d integration.Due, now time.Time) (bool, error) {
	spec, err := d.Settings.Schedule()
	if err != nil {
		return false, fmt.Errorf("tenant schedule: %w", err)
	}
	next := spec.Next(maxTime(d.NextRunAt, now))
	err = s.store.AdvanceSchedule(ctx, d.TenantID, d.NextRunAt, next, next.Add(spec.Spread(d.TenantID)))
	if errors.Is(err, integration.ErrConflict) {
		return false, nil // another tick advanced it, or the admin changed it
	}
	return err == nil, err
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Handle is the Lambda handler for the EventBridge schedule.
func (s *Scheduler) Handle(ctx context.Context, _ events.CloudWatchEvent) error {
	_, err := s.Tick(ctx)
	return err
}
