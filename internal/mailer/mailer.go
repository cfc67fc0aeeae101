// Package mailer sends the service's emails from the mail queue: welcome
// emails to new members, summaries to admins after each run, and the
// re-authorization notice. A welcome job names many members (up to
// integration.WelcomesPerJob). Each email is claimed on its item before it is
// sent (owed -> sending) and settled after (sent, or owed again when the
// send certainly failed), so duplicates, retries and concurrent mailers
// never send one twice.
package mailer

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/peoplesync/peoplesync/internal/email"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/logging"
)

// Store holds the emails' states and what they say.
type Store interface {
	GetIntegration(ctx context.Context, tenant string) (*integration.Integration, error)
	GetRun(ctx context.Context, tenant, runID string) (*integration.Run, error)
	ListRuns(ctx context.Context, tenant, cursor string, limit int) ([]*integration.Run, string, error)
	ClaimWelcome(ctx context.Context, tenant, employeeID, tokenHash string, expires time.Time) (engine.Member, error)
	FinishWelcome(ctx context.Context, tenant, employeeID string, to integration.MailState, result string) error
	ScheduleReminder(ctx context.Context, tenant, employeeID string, n int, at time.Time) error
	ClaimReminder(ctx context.Context, tenant, employeeID string, n int, tokenHash string, expires time.Time) (engine.Member, error)
	FinishReminder(ctx context.Context, tenant, employeeID string, n int, to integration.MailState) error
	CancelReminders(ctx context.Context, tenant, employeeID string) error
	ClaimSummary(ctx context.Context, tenant, runID string) error
	FinishSummary(ctx context.Context, tenant, runID string, to integration.MailState) error
	ClaimSummaryCopy(ctx context.Context, tenant, runID, recipient string) error
	FinishSummaryCopy(ctx context.Context, tenant, runID, recipient string, to integration.MailState) error
	TakeMailQuota(ctx context.Context, tenant, kind, day string, limit int) (bool, error)
	ClaimReauthNotice(ctx context.Context, tenant string) error
	FinishReauthNotice(ctx context.Context, tenant string, to integration.MailState) error
}

// Sender sends one email.
type Sender interface {
	Send(ctx context.Context, m email.Message) (string, error)
}

// Config is what the emails link to.
type Config struct {
	DashboardURL  string
	InviteBaseURL string
	// InviteTTL is how long a welcome link works.
	InviteTTL time.Duration
	// WelcomesPerDay and SummariesPerDay are each tenant's daily email
	// quotas (UTC days): over one, an email is left owed for a later run
	// instead of sent, so no tenant can turn the service into a mail
	// cannon (issue 15).
	WelcomesPerDay, SummariesPerDay int
}

// The default daily quotas: a first import of 2,000 new members mails
// them all on its day (a bigger one over the next days, each run queueing
// the welcomes still owed); 50 summaries is an hourly schedule's 24 runs
// to two recipients, with room for manual imports.
const (
	DefaultWelcomesPerDay  = 2000
	DefaultSummariesPerDay = 50
)

// errDeferred marks an email left owed because its tenant's daily quota
// is spent.
var errDeferred = errors.New("daily email quota spent: left owed")

// Mailer handles mail jobs.
type Mailer struct {
	store  Store
	sender Sender
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
}

// New builds a Mailer.
func New(store Store, sender Sender, cfg Config, log *slog.Logger, now func() time.Time) (*Mailer, error) {
	if store == nil || sender == nil || log == nil || now == nil {
		return nil, errors.New("mailer: every dependency is required")
	}
	if cfg.InviteTTL <= 0 {
		cfg.InviteTTL = integration.InviteTTL
	}
	if cfg.WelcomesPerDay <= 0 {
		cfg.WelcomesPerDay = DefaultWelcomesPerDay
	}
	if cfg.SummariesPerDay <= 0 {
		cfg.SummariesPerDay = DefaultSummariesPerDay
	}
	return &Mailer{store: store, sender: sender, cfg: cfg, log: log, now: now}, nil
}

// Handle sends the emails a job asks for, those still owed.
func (m *Mailer) Handle(ctx context.Context, job integration.MailJob) error {
	if job.Version > integration.MailJobVersion {
		// Not guessed at: it fails, and a mailer that knows it reads it.
		return fmt.Errorf("mail job format %d is newer than this mailer's (%d)", job.Version, integration.MailJobVersion)
	}
	if !integration.ValidTenantID(job.TenantID) {
		return fmt.Errorf("mail job without a valid tenant")
	}
	in, err := m.store.GetIntegration(ctx, job.TenantID)
	if err != nil {
		return err
	}
	log := logging.For(ctx, m.log).With("tenantId", job.TenantID, "kind", job.Kind)
	switch job.Kind {
	case integration.MailWelcome:
		return m.welcomes(ctx, in, job.Members(), log)
	case integration.MailSummary:
		return m.summary(ctx, in, job.RunID, log.With("runId", job.RunID))
	case integration.MailReauth:
		return m.reauth(ctx, in, log)
	case integration.MailReminder:
		return m.reminder(ctx, in, job.EmployeeID, job.Reminder, log.With("employeeId", job.EmployeeID, "reminder", job.Reminder))
	}
	return fmt.Errorf("unknown mail kind %q", job.Kind)
}

// timeMargin is the time a welcome job leaves before its invocation's
// deadline: enough to claim, send and settle one more email.
const timeMargin = 10 * time.Second

// welcomes sends a job's welcomes one member after another, each claimed,
// sent and settled on its own. At the first that must be retried (SES
// throttling, a store error) it stops and fails the job: the queue
// delivers it again, the claims skip the members already sent, and only
// the rest are sent. It stops early, leaving the rest owed, when the
// tenant's daily quota is spent (the next run queues them), and fails the
// job near the invocation's deadline, since a send cut off by the timeout
// would leave its email 'sending' and never sent. The deadline is the
// context's, on the wall clock, not m.now.
func (m *Mailer) welcomes(ctx context.Context, in *integration.Integration, ids []string, log *slog.Logger) error {
	for i, id := range ids {
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < timeMargin {
			return fmt.Errorf("out of time after %d of %d welcomes: the rest go when the job comes again", i, len(ids))
		}
		err := m.welcome(ctx, in, id, log.With("employeeId", id))
		if errors.Is(err, errDeferred) {
			log.Info("the job's other welcomes stay owed for a later run", "left", len(ids)-i-1)
			return nil
		}
		if err != nil {
			return fmt.Errorf("welcome %d of %d: %w", i+1, len(ids), err)
		}
	}
	return nil
}

// welcome sends one member's welcome if it is still owed; errDeferred when
// the day's quota left it owed.
func (m *Mailer) welcome(ctx context.Context, in *integration.Integration, employeeID string, log *slog.Logger) error {
	token, hash := newToken()
	expires := m.now().Add(m.cfg.InviteTTL)
	member, err := m.store.ClaimWelcome(ctx, in.TenantID, employeeID, hash, expires)
	if errors.Is(err, integration.ErrConflict) || errors.Is(err, integration.ErrNotFound) {
		log.Info("no welcome owed: already sent, sending, or a leaver")
		return nil
	}
	if err != nil {
		return err
	}
	if err := m.quota(ctx, in.TenantID, integration.MailWelcome, log); err != nil {
		// Owed again: the next run queues the welcomes still owed.
		if serr := m.store.FinishWelcome(ctx, in.TenantID, employeeID, integration.MailOwed, "deferred: "+err.Error()); serr != nil {
			// Not settled owed: the job must come again, whatever the quota said.
			return fmt.Errorf("leave the welcome owed (%v): %w", err, serr)
		}
		return err
	}
	msg, err := m.invitation(welcomeTemplate, in, &member, token, expires)
	if err != nil {
		return err
	}
	sent := false
	err = m.send(ctx, msg, log, func(to integration.MailState, result string) error {
		sent = to == integration.MailSent
		return m.store.FinishWelcome(ctx, in.TenantID, employeeID, to, result)
	})
	if err == nil && sent && member.Reminders == 0 {
		// A resend's welcome keeps the reminders counted from the first.
		invitedAt := member.InvitedAt
		if invitedAt.IsZero() {
			invitedAt = m.now()
		}
		m.scheduleReminder(ctx, in, employeeID, 1, invitedAt, log)
	}
	return err
}

// invitation composes a welcome or a reminder: the member's name, the
// programme, a link with the token and the tenant, when it expires.
func (m *Mailer) invitation(t template, in *integration.Integration, member *engine.Member, token string, expires time.Time) (email.Message, error) {
	name := member.Values.Get(engine.PreferredName)
	if name == "" {
		name = member.Values.Get(engine.FirstName)
	}
	link := m.cfg.InviteBaseURL + "?" + url.Values{"tenant": {in.TenantID}, "token": {token}}.Encode()
	return compose(t, []string{member.Email()}, map[string]any{
		"Name": name, "Programme": in.ProgrammeName, "Link": link, "Expires": expires.UTC().Format("2 January 2006"),
	})
}

// scheduleReminder makes reminder n of a member first invited at
// invitedAt due on its local day, if the tenant wants reminders and there
// is an nth. A failure is logged, not returned: the email it follows went
// out, and retrying the job would not send it again anyway.
func (m *Mailer) scheduleReminder(ctx context.Context, in *integration.Integration, employeeID string, n int, invitedAt time.Time, log *slog.Logger) {
	if !in.Settings.InviteReminders {
		return
	}
	zone, err := time.LoadLocation(in.Settings.TimeZone)
	if err != nil {
		log.Error("reminder not scheduled: the tenant's time zone does not load", "timeZone", in.Settings.TimeZone, "error", err)
		return
	}
	at, ok := integration.ReminderDue(invitedAt, zone, n)
	if !ok {
		return
	}
	if err := m.store.ScheduleReminder(ctx, in.TenantID, employeeID, n, at); err != nil {
		log.Error("reminder not scheduled", "reminder", n, "error", err)
	}
}

// reminder sends reminder n to an invited member who has not joined, with
// a fresh link, and schedules the next. A member who joined or left, or a
// tenant that turned reminders off, gets none, and nothing stays due.
func (m *Mailer) reminder(ctx context.Context, in *integration.Integration, employeeID string, n int, log *slog.Logger) error {
	if !in.Settings.InviteReminders {
		log.Info("reminders are off for the tenant: none sent")
		return m.store.CancelReminders(ctx, in.TenantID, employeeID)
	}
	token, hash := newToken()
	expires := m.now().Add(m.cfg.InviteTTL)
	member, err := m.store.ClaimReminder(ctx, in.TenantID, employeeID, n, hash, expires)
	if errors.Is(err, integration.ErrConflict) {
		log.Info("no reminder owed: joined, left, already sent or being sent")
		return nil
	}
	if err != nil {
		return err
	}
	if err := m.quota(ctx, in.TenantID, integration.MailWelcome, log); err != nil {
		// Left owed and due again tomorrow, its day's quota spent.
		serr := m.store.FinishReminder(ctx, in.TenantID, employeeID, n, integration.MailOwed)
		if errors.Is(err, errDeferred) && serr == nil {
			m.scheduleAt(ctx, in, employeeID, n, m.now().Add(24*time.Hour), log)
			return nil
		}
		return errors.Join(err, serr)
	}
	msg, err := m.invitation(reminderTemplate, in, &member, token, expires)
	if err != nil {
		return errors.Join(err, m.store.FinishReminder(ctx, in.TenantID, employeeID, n, integration.MailOwed))
	}
	sent := false
	err = m.send(ctx, msg, log, func(to integration.MailState, _ string) error {
		sent = to == integration.MailSent
		// A refused address is not reminded again: failed is final.
		return m.store.FinishReminder(ctx, in.TenantID, employeeID, n, to)
	})
	if err == nil && sent {
		m.scheduleReminder(ctx, in, employeeID, n+1, member.InvitedAt, log)
	}
	return err
}

// scheduleAt makes reminder n due again at at.
func (m *Mailer) scheduleAt(ctx context.Context, in *integration.Integration, employeeID string, n int, at time.Time, log *slog.Logger) {
	if err := m.store.ScheduleReminder(ctx, in.TenantID, employeeID, n, at); err != nil {
		log.Error("deferred reminder not scheduled again", "reminder", n, "error", err)
	}
}

func (m *Mailer) summary(ctx context.Context, in *integration.Integration, runID string, log *slog.Logger) error {
	run, err := m.store.GetRun(ctx, in.TenantID, runID)
	if err != nil {
		return err
	}
	if err := m.store.ClaimSummary(ctx, in.TenantID, runID); errors.Is(err, integration.ErrConflict) {
		log.Info("no summary owed")
		return nil
	} else if err != nil {
		return err
	}
	reason := run.FailureReason
	if run.Status == integration.StatusHeld {
		reason = "Nothing was applied: " + run.HeldReason + ". Approve or discard the run on the dashboard."
	}
	// What PeopleHR's change runs applied since the last full import,
	// which sent no summary of their own.
	changes, err := integration.ChangeRunsBefore(ctx, m.store.ListRuns, in.TenantID, runID, time.Time{})
	if err != nil {
		return m.unclaimSummary(ctx, in.TenantID, runID, err)
	}
	data := map[string]any{
		"Programme": in.ProgrammeName, "Status": describe(run.Status), "Reason": reason,
		"Finished": run.FinishedAt.UTC().Format("2 January 2006 15:04 UTC"), "Counts": run.Counts,
		"ErrorFile": run.ErrorFileKey != "", "Dashboard": m.cfg.DashboardURL, "Members": run.Members,
		"ChangeRuns": changes,
	}
	// Each recipient gets their own email, claimed on its own: one To: with
	// every address would make the service a relay that shows each
	// recipient the others, and a retry after a throttled send must not
	// mail again those already sent theirs (issue 15).
	settled := integration.MailSent
	for _, to := range recipients(in) {
		err := m.summaryTo(ctx, in.TenantID, runID, to, data, log.With("recipient", to))
		if errors.Is(err, errDeferred) {
			settled = integration.MailOwed // a redelivered job sends the copies still owed
			continue
		}
		if err != nil {
			return m.unclaimSummary(ctx, in.TenantID, runID, err)
		}
	}
	if err := m.store.FinishSummary(ctx, in.TenantID, runID, settled); err != nil {
		log.Error("summary sent but not recorded as sent: it stays 'sending' and will not be sent again", "error", err)
	}
	return nil
}

// unclaimSummary makes a claimed summary owed again after err, so the
// retried job sends the copies still owed.
func (m *Mailer) unclaimSummary(ctx context.Context, tenant, runID string, err error) error {
	if serr := m.store.FinishSummary(ctx, tenant, runID, integration.MailOwed); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

// summaryTo sends one recipient's copy of a run's summary, if it is still
// owed. An error means the job must be retried.
func (m *Mailer) summaryTo(ctx context.Context, tenant, runID, to string, data map[string]any, log *slog.Logger) error {
	if err := m.store.ClaimSummaryCopy(ctx, tenant, runID, to); errors.Is(err, integration.ErrConflict) {
		log.Info("no summary owed to this recipient: already sent, sending or refused")
		return nil
	} else if err != nil {
		return err
	}
	if err := m.quota(ctx, tenant, integration.MailSummary, log); err != nil {
		return errors.Join(err, m.store.FinishSummaryCopy(ctx, tenant, runID, to, integration.MailOwed))
	}
	msg, err := compose(summaryTemplate, []string{to}, data)
	if err != nil {
		return errors.Join(err, m.store.FinishSummaryCopy(ctx, tenant, runID, to, integration.MailOwed))
	}
	return m.send(ctx, msg, log, func(state integration.MailState, _ string) error {
		return m.store.FinishSummaryCopy(ctx, tenant, runID, to, state)
	})
}

func (m *Mailer) reauth(ctx context.Context, in *integration.Integration, log *slog.Logger) error {
	if err := m.store.ClaimReauthNotice(ctx, in.TenantID); errors.Is(err, integration.ErrConflict) {
		log.Info("no re-authorization notice owed")
		return nil
	} else if err != nil {
		return err
	}
	msg, err := compose(reauthTemplate, recipients(in), map[string]any{
		"Programme": in.ProgrammeName, "Times": integration.ReauthAfter, "Dashboard": m.cfg.DashboardURL,
	})
	if err != nil {
		return err
	}
	return m.send(ctx, msg, log, func(to integration.MailState, _ string) error {
		return m.store.FinishReauthNotice(ctx, in.TenantID, to)
	})
}

// quota counts a claimed email against its tenant's daily quota for its
// kind: errDeferred when the day's is spent, and the email is to be left
// owed rather than sent or dropped.
func (m *Mailer) quota(ctx context.Context, tenant string, kind integration.MailKind, log *slog.Logger) error {
	limit := m.cfg.WelcomesPerDay
	if kind == integration.MailSummary {
		limit = m.cfg.SummariesPerDay
	}
	ok, err := m.store.TakeMailQuota(ctx, tenant, string(kind), m.now().UTC().Format(time.DateOnly), limit)
	if err != nil {
		return err
	}
	if !ok {
		log.Warn("the tenant's daily email quota is spent: the email is left owed", "quota", limit)
		return errDeferred
	}
	return nil
}

// send sends a claimed email and settles its state. A send that certainly
// failed for now goes back to owed and the job is retried; a refused one is
// failed for good. When the outcome is unknown (SES may have sent it), the
// email stays "sending": a second email is worse than none, and the error
// log is the alarm.
func (m *Mailer) send(ctx context.Context, msg email.Message, log *slog.Logger, settle func(integration.MailState, string) error) error {
	id, err := m.sender.Send(ctx, msg)
	switch {
	case err == nil:
		if serr := settle(integration.MailSent, id); serr != nil {
			log.Error("email sent but not recorded as sent: it stays 'sending' and will not be sent again", "error", serr)
		}
		log.Info("email sent", "messageId", id)
		return nil
	case errors.Is(err, email.ErrRetryLater):
		if serr := settle(integration.MailOwed, "retry: "+err.Error()); serr != nil {
			return errors.Join(err, serr)
		}
		return err
	case errors.Is(err, email.ErrRejected):
		log.Warn("email refused for good", "error", err)
		return settle(integration.MailFailed, err.Error())
	}
	log.Error("email outcome unknown: left 'sending', not retried", "error", err)
	return nil
}

// compose renders an email. Every text put in it is cleaned as the engine
// cleans a feed (engine.Clean): a programme name, an admin's words or a
// member stored before a rule may carry a bidi override that would reverse
// a subject ("moc.elgoog") or a control that breaks a header line.
func compose(t template, to []string, data map[string]any) (email.Message, error) {
	for k, v := range data {
		if s, ok := v.(string); ok {
			data[k] = engine.Clean(s)
		}
	}
	subject, text, html, err := t.render(data)
	if err != nil {
		return email.Message{}, fmt.Errorf("render email: %w", err)
	}
	return email.Message{To: to, Subject: subject, Text: text, HTML: html}, nil
}

// recipients are the admin who set the integration up and the extra
// addresses in the tenant's own domain, each once. The API refuses others,
// but settings saved before that rule may still list some: they are
// skipped, never mailed.
func recipients(in *integration.Integration) []string {
	var out []string
	for i, a := range append([]string{in.AdminEmail}, in.Settings.SummaryRecipients...) {
		a = strings.ToLower(strings.TrimSpace(a))
		if a != "" && !slices.Contains(out, a) && (i == 0 || integration.RecipientAllowed(in.AdminEmail, a)) {
			out = append(out, a)
		}
	}
	return out
}

func describe(s integration.Status) string {
	switch s {
	case integration.StatusSucceeded:
		return "succeeded"
	case integration.StatusSucceededWithErrors:
		return "succeeded with errors"
	case integration.StatusHeld:
		return "is held for your approval"
	case integration.StatusCancelled:
		return "was cancelled"
	}
	return "failed"
}

// newToken is a one-time invitation token and the hash that is stored.
func newToken() (token, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, integration.InviteHash(token)
}
