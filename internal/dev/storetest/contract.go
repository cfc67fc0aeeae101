package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/ratelimit"
)

// Store is every port the DynamoDB store fills (those of the worker, the
// mailer, the scheduler and the API), as the contract tests them.
type Store interface {
	GetIntegration(ctx context.Context, tenant string) (*integration.Integration, error)
	PutIntegration(ctx context.Context, in *integration.Integration) error
	KeyRefused(ctx context.Context, tenant string) (noticeOwed bool, err error)
	KeyAccepted(ctx context.Context, tenant string) error
	DueIntegrations(ctx context.Context, bucket int, now time.Time) ([]integration.Due, error)
	AdvanceSchedule(ctx context.Context, tenant string, slot, next, dueAt time.Time) error

	CreateRun(ctx context.Context, r *integration.Run) error
	SaveRun(ctx context.Context, r *integration.Run) error
	GetRun(ctx context.Context, tenant, runID string) (*integration.Run, error)
	ListRuns(ctx context.Context, tenant, cursor string, limit int) ([]*integration.Run, string, error)
	QueueRun(ctx context.Context, r *integration.Run) (*integration.Run, error)
	DecideHeld(ctx context.Context, tenant, runID, from, to string) error

	Members(ctx context.Context, tenant string) ([]engine.Member, error)
	GetMember(ctx context.Context, tenant, employeeID string) (engine.Member, error)
	ListMembers(ctx context.Context, tenant string, status engine.Status, cursor string, limit int) ([]engine.Member, string, error)
	SearchMembers(ctx context.Context, tenant, q, cursor string, limit int) ([]engine.Member, string, error)
	Apply(ctx context.Context, tenant, runID string, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error)
	ApplyLeased(ctx context.Context, lease integration.Lease, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error)
	SaveHeldPlan(ctx context.Context, tenant, runID string, changes []engine.Change) error
	HeldPlan(ctx context.Context, tenant, runID string) ([]engine.Change, error)

	AcquireLease(ctx context.Context, tenant, runID string, ttl time.Duration) (integration.Lease, error)
	RenewLease(ctx context.Context, lease integration.Lease, ttl time.Duration) (integration.Lease, error)
	ReleaseLease(ctx context.Context, lease integration.Lease) error

	SaveLog(ctx context.Context, tenant string, entries []integration.LogEntry) error
	MemberLog(ctx context.Context, tenant, employeeID, cursor string, limit int) ([]integration.LogEntry, string, error)

	ClaimWelcome(ctx context.Context, tenant, employeeID, tokenHash string, expires time.Time) (engine.Member, error)
	RedeemInvite(ctx context.Context, tenant, tokenHash string) (engine.Member, error)
	MemberByEmail(ctx context.Context, tenant, email string) (engine.Member, error)
	ChangedMembers(ctx context.Context, tenant, cursor string, limit int) ([]engine.Member, string, error)
	ScheduleReminder(ctx context.Context, tenant, employeeID string, n int, at time.Time) error
	DueReminders(ctx context.Context, bucket int, now time.Time) ([]integration.DueReminder, error)
	ClaimReminder(ctx context.Context, tenant, employeeID string, n int, tokenHash string, expires time.Time) (engine.Member, error)
	FinishReminder(ctx context.Context, tenant, employeeID string, n int, to integration.MailState) error
	CancelReminders(ctx context.Context, tenant, employeeID string) error
	ResendInvite(ctx context.Context, tenant, employeeID string) error
	PutListener(ctx context.Context, tenant, hash string) (*integration.Listener, error)
	DeleteListener(ctx context.Context, tenant string) error
	GetListener(ctx context.Context, tenant string) (*integration.Listener, error)
	ListenerTenant(ctx context.Context, hash string) (string, error)
	NoteChange(ctx context.Context, tenant, runID, employeeID string) error
	ChangedEmployees(ctx context.Context, tenant, runID string) (integration.ChangedEmployees, error)
	FinishWelcome(ctx context.Context, tenant, employeeID string, to integration.MailState, result string) error
	ClaimSummary(ctx context.Context, tenant, runID string) error
	FinishSummary(ctx context.Context, tenant, runID string, to integration.MailState) error
	ClaimSummaryCopy(ctx context.Context, tenant, runID, recipient string) error
	FinishSummaryCopy(ctx context.Context, tenant, runID, recipient string, to integration.MailState) error
	TakeMailQuota(ctx context.Context, tenant, kind, day string, limit int) (bool, error)
	ClaimReauthNotice(ctx context.Context, tenant string) error
	FinishReauthNotice(ctx context.Context, tenant string, to integration.MailState) error

	TakeToken(ctx context.Context, tenant string, l ratelimit.Limit) (time.Duration, error)

	AddAudit(ctx context.Context, tenant string, e integration.AuditEntry) error
	AuditTrail(ctx context.Context, tenant, cursor string, limit int) ([]integration.AuditEntry, string, error)
	SaveExport(ctx context.Context, x *integration.Export) error
	GetExport(ctx context.Context, tenant, exportID string) (*integration.Export, error)
	ListExports(ctx context.Context, tenant, cursor string, limit int) ([]*integration.Export, string, error)
	LogOfPeriod(ctx context.Context, tenant string, from, to time.Time, max int) ([]integration.LogEntry, error)
}

// Start is where the contract's clock starts.
var Start = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// Clock is a test's clock: it moves only when the test moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// RunContract runs the store contract against stores newStore makes: each
// test gets a new, empty store reading the test's clock.
func RunContract(t *testing.T, newStore func(t *testing.T, now func() time.Time) Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s Store, clk *Clock)
	}{
		{"integration versions", testIntegrationVersions},
		{"runs", testRuns},
		{"run pages", testRunPages},
		{"member pages and status filter", testMemberPages},
		{"members changed since a cursor", testChangedMembers},
		{"member search", testSearch},
		{"provisioning log pages", testLogPages},
		{"apply: writes, conflicts and replays", testApply},
		{"apply: one owner per address", testAddresses},
		{"apply: relinks", testRelinks},
		{"apply: updates keep what others wrote", testUpdatesKeepOthersWrites},
		{"apply leased: creates under the lease", testLeasedCreates},
		{"leases", testLeases},
		{"held plans", testHeldPlans},
		{"queued runs: one a tenant", testQueueRun},
		{"concurrency: ten runs queued at once", testConcurrentQueueRuns},
		{"held decisions", testHeldDecisions},
		{"concurrency: approve and discard at once", testConcurrentDecisions},
		{"invitations", testInvites},
		{"concurrency: redeemers at once", testConcurrentRedeemers},
		{"reminders", testReminders},
		{"concurrency: reminder claims at once", testConcurrentReminderClaims},
		{"resends", testResends},
		{"listeners", testListeners},
		{"the employees a change run's notifications named", testChangeNotes},
		{"audit trail pages", testAuditTrail},
		{"exports", testExports},
		{"the log of a period", testLogOfPeriod},
		{"mail claims", testMailClaims},
		{"summary copies", testSummaryCopies},
		{"daily mail quotas", testMailQuotas},
		{"concurrency: mail quota takers at once", testConcurrentQuotaTakers},
		{"refused keys", testRefusedKeys},
		{"schedule", testSchedule},
		{"concurrency: two appliers at once", testConcurrentAppliers},
		{"concurrency: lease takers at once", testConcurrentLeaseTakers},
		{"concurrency: two mailers claim at once", testConcurrentClaims},
		{"rate limits", testRateLimits},
		{"concurrency: rate limit takers at once", testConcurrentTakers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := NewClock(Start)
			tt.test(t, newStore(t, clk.Now), clk)
		})
	}
}
