package storetest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/ratelimit"
)

// Memory is a store in memory with the DynamoDB store's semantics. Every
// call takes one lock, so each is atomic, as each conditional write is in
// DynamoDB; Apply takes it once per change, so two appliers interleave as
// they do on the table. What it returns is a copy: callers cannot change
// what is stored but through its methods.
type Memory struct {
	now func() time.Time

	mu sync.Mutex
	// integrations are kept encoded, so a read is a deep copy.
	integrations map[string][]byte
	members      map[id]engine.Member
	owners       map[id]string // tenant and address -> employee id
	runs         map[id]integration.Run
	plans        map[id][]byte // tenant and run id -> encoded changes
	leases       map[string]integration.Lease
	logs         map[logID]integration.LogEntry

	// copies are each summary recipient's copy of a run's summary.
	copies map[copyID]integration.MailState
	// quotas count each tenant's emails of a kind on a day.
	quotas map[quotaID]int

	// slots name, by tenant, the run QueueRun last queued.
	slots map[string]string
	// buckets are the tenants' rate-limit buckets, by limit name.
	buckets map[id]ratelimit.Bucket

	// invites are the invitations issued, by tenant and token hash;
	// liveInvite is each member's one live token hash.
	invites    map[id]invite
	liveInvite map[id]string
	// invitations are the members' invitation histories.
	invitations map[id]invitation
	// listeners are the tenants' listeners; hooks find a tenant by its
	// listener's hash.
	listeners map[string]listener
	hooks     map[string]string
	// notes are the employees each change run's notifications named.
	notes map[id]integration.ChangedEmployees
	// audit is the tenants' audit trails, by entry id; exports their
	// exports, by export id.
	audit   map[id]integration.AuditEntry
	exports map[id]integration.Export
}

var _ Store = (*Memory)(nil)

// id names one item of a tenant.
type id struct{ tenant, key string }

type logID struct{ tenant, employee, run string }

// keysOf lists the keys of a tenant's items, in no order.
func keysOf[V any](items map[id]V, tenant string) []string {
	var out []string
	for k := range items {
		if k.tenant == tenant {
			out = append(out, k.key)
		}
	}
	return out
}

// NewMemory builds an empty store on the clock now.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		panic("storetest: NewMemory needs a clock")
	}
	return &Memory{
		now:          now,
		integrations: map[string][]byte{},
		members:      map[id]engine.Member{},
		owners:       map[id]string{},
		runs:         map[id]integration.Run{},
		plans:        map[id][]byte{},
		leases:       map[string]integration.Lease{},
		logs:         map[logID]integration.LogEntry{},
		slots:        map[string]string{},
		copies:       map[copyID]integration.MailState{},
		quotas:       map[quotaID]int{},
		buckets:      map[id]ratelimit.Bucket{},
		invites:      map[id]invite{},
		liveInvite:   map[id]string{},
		invitations:  map[id]invitation{},
		listeners:    map[string]listener{},
		hooks:        map[string]string{},
		notes:        map[id]integration.ChangedEmployees{},
		audit:        map[id]integration.AuditEntry{},
		exports:      map[id]integration.Export{},
	}
}

// GetIntegration reads a tenant's integration, or integration.ErrNotFound.
func (m *Memory) GetIntegration(_ context.Context, tenant string) (*integration.Integration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	in, err := m.integration(tenant)
	if err != nil {
		return nil, fmt.Errorf("get integration: %w", err)
	}
	return in, nil
}

func (m *Memory) integration(tenant string) (*integration.Integration, error) {
	b, ok := m.integrations[tenant]
	if !ok {
		return nil, integration.ErrNotFound
	}
	var in integration.Integration
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("decode integration: %w", err)
	}
	return &in, nil
}

func (m *Memory) keep(in *integration.Integration) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode integration: %w", err)
	}
	m.integrations[in.TenantID] = b
	return nil
}

// PutIntegration saves in if nobody saved since in.Version was read (0 for
// a new one) and advances in.Version; a lost race is
// integration.ErrConflict. Only a scheduled integration keeps its slot and
// due time, as only it is in the table's due index.
func (m *Memory) PutIntegration(_ context.Context, in *integration.Integration) error {
	if !integration.ValidTenantID(in.TenantID) {
		return fmt.Errorf("put integration: invalid tenant id")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if stored, err := m.integration(in.TenantID); err == nil && stored.Version != in.Version {
		return fmt.Errorf("put integration: %w", integration.ErrConflict)
	}
	now := m.now().UTC()
	saved := *in
	saved.Version, saved.UpdatedAt = in.Version+1, now
	saved.NextRunAt, saved.DueAt = time.Time{}, time.Time{}
	if in.Scheduled() {
		saved.NextRunAt, saved.DueAt = in.NextRunAt, dueTime(in.DueAt)
	}
	if err := m.keep(&saved); err != nil {
		return fmt.Errorf("put integration: %w", err)
	}
	in.Version, in.UpdatedAt = saved.Version, now
	return nil
}

// dueTime is a due time as the due index keeps it: to the second.
func dueTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// update changes a tenant's integration under the lock with fn, which says
// whether it changed anything.
func (m *Memory) update(tenant string, fn func(in *integration.Integration) (bool, error)) error {
	in, err := m.integration(tenant)
	if err != nil {
		return err
	}
	changed, err := fn(in)
	if err != nil || !changed {
		return err
	}
	return m.keep(in)
}

// KeyRefused counts a run PeopleHR refused the key for; at the
// integration.ReauthAfter-th in a row the integration needs
// re-authorization, leaves the schedule and owes the admin one email.
// noticeOwed says that email is still owed.
func (m *Memory) KeyRefused(_ context.Context, tenant string) (noticeOwed bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	err = m.update(tenant, func(in *integration.Integration) (bool, error) {
		in.InvalidKeyStreak++
		in.Version++
		switch {
		case in.ReauthNotice == integration.MailOwed:
			noticeOwed = true
		case in.InvalidKeyStreak >= integration.ReauthAfter && in.State != integration.StateNeedsReauthorization:
			in.State, in.ReauthNotice, in.DueAt = integration.StateNeedsReauthorization, integration.MailOwed, time.Time{}
			in.Version++
			noticeOwed = true
		}
		return true, nil
	})
	if err != nil {
		return false, fmt.Errorf("count refused key: %w", err)
	}
	return noticeOwed, nil
}

// KeyAccepted ends a streak of refused keys.
func (m *Memory) KeyAccepted(_ context.Context, tenant string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.update(tenant, func(in *integration.Integration) (bool, error) {
		if in.InvalidKeyStreak == 0 {
			return false, nil
		}
		in.InvalidKeyStreak = 0
		in.Version++
		return true, nil
	})
	if err != nil && !errors.Is(err, integration.ErrNotFound) {
		return fmt.Errorf("reset refused-key count: %w", err)
	}
	return nil
}

// DueIntegrations reads the scheduled integrations of bucket due at or
// before now (to the second, as the index compares), soonest first.
func (m *Memory) DueIntegrations(_ context.Context, bucket int, now time.Time) ([]integration.Due, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var due []*integration.Integration
	for tenant := range m.integrations {
		in, err := m.integration(tenant)
		if err != nil {
			return nil, fmt.Errorf("query due integrations: %w", err)
		}
		if !in.DueAt.IsZero() && integration.DueBucket(tenant) == bucket && !in.DueAt.After(dueTime(now)) {
			due = append(due, in)
		}
	}
	slices.SortFunc(due, func(a, b *integration.Integration) int {
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		return strings.Compare(a.TenantID, b.TenantID)
	})
	out := make([]integration.Due, len(due))
	for i, in := range due {
		out[i] = integration.Due{TenantID: in.TenantID, NextRunAt: in.NextRunAt, Settings: in.Settings}
	}
	return out, nil
}

// AdvanceSchedule moves a scheduled tenant from slot to next, due at dueAt,
// only if it is still at slot: integration.ErrConflict otherwise.
func (m *Memory) AdvanceSchedule(_ context.Context, tenant string, slot, next, dueAt time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.update(tenant, func(in *integration.Integration) (bool, error) {
		if in.DueAt.IsZero() || !in.NextRunAt.Equal(slot) {
			return false, integration.ErrConflict
		}
		in.NextRunAt, in.DueAt = next, dueTime(dueAt)
		return true, nil
	})
	if errors.Is(err, integration.ErrNotFound) {
		err = integration.ErrConflict // as a condition on a missing item fails
	}
	if err != nil {
		return fmt.Errorf("advance schedule: %w", err)
	}
	return nil
}

// CreateRun records a new run; integration.ErrConflict if the id exists.
func (m *Memory) CreateRun(_ context.Context, r *integration.Run) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := id{r.TenantID, r.RunID}
	if _, ok := m.runs[k]; ok {
		return fmt.Errorf("create run: %w", integration.ErrConflict)
	}
	m.runs[k] = *r
	return nil
}

// SaveRun overwrites an existing run; integration.ErrNotFound if none.
func (m *Memory) SaveRun(_ context.Context, r *integration.Run) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := id{r.TenantID, r.RunID}
	if _, ok := m.runs[k]; !ok {
		return fmt.Errorf("save run: %w", integration.ErrNotFound)
	}
	// The table keeps a copy: a caller changing its slice later does not
	// change what was saved.
	saved := *r
	saved.Phases = slices.Clone(r.Phases)
	m.runs[k] = saved
	return nil
}

// GetRun reads one run of the tenant, or integration.ErrNotFound.
func (m *Memory) GetRun(_ context.Context, tenant, runID string) (*integration.Run, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[id{tenant, runID}]
	if !ok {
		return nil, fmt.Errorf("get run: %w", integration.ErrNotFound)
	}
	return &r, nil
}

// ListRuns reads a tenant's runs newest first, a page at a time; the next
// cursor is "" after the last page.
func (m *Memory) ListRuns(_ context.Context, tenant, cursor string, limit int) ([]*integration.Run, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := keysOf(m.runs, tenant)
	var out []*integration.Run
	next, err := page(ids, runCursor, true, cursor, limit, func(runID string) {
		r := m.runs[id{tenant, runID}]
		out = append(out, &r)
	})
	if err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	return out, next, nil
}

// Cursors name the last key of a page, under a prefix of their list's own:
// a cursor of one list is no cursor of another.
const (
	runCursor    = "R#"
	memberCursor = "E#"
	logCursor    = "L#"
)

// page calls fn for up to limit keys after cursor's, in order (newest
// first when descending), and returns the cursor of the next page.
func page(keys []string, prefix string, descending bool, cursor string, limit int, fn func(key string)) (string, error) {
	slices.Sort(keys)
	if descending {
		slices.Reverse(keys)
	}
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		after, ok := strings.CutPrefix(string(b), prefix)
		if err != nil || !ok || after == "" || !utf8.Valid(b) {
			return "", integration.ErrBadCursor
		}
		keys = slices.DeleteFunc(keys, func(k string) bool {
			if descending {
				return k >= after
			}
			return k <= after
		})
	}
	if limit <= 0 || limit > len(keys) {
		limit = len(keys)
	}
	for _, k := range keys[:limit] {
		fn(k)
	}
	if limit == len(keys) {
		return "", nil
	}
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + keys[limit-1])), nil
}

// AcquireLease takes the tenant's lease for runID until now+ttl, if it is
// free or expired; otherwise a *integration.LeaseHeldError.
func (m *Memory) AcquireLease(_ context.Context, tenant, runID string, ttl time.Duration) (integration.Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if held, ok := m.leases[tenant]; ok && !held.ExpiresAt.Before(now) {
		return integration.Lease{}, &integration.LeaseHeldError{RunID: held.RunID, ExpiresAt: held.ExpiresAt}
	}
	lease := integration.NewLease(tenant, runID, now.Add(ttl))
	m.leases[tenant] = lease
	return lease, nil
}

// RenewLease extends the holder's lease to now+ttl;
// integration.ErrLeaseLost once it is not the holder's.
func (m *Memory) RenewLease(_ context.Context, lease integration.Lease, ttl time.Duration) (integration.Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.holds(lease); err != nil {
		return lease, err
	}
	lease.ExpiresAt = m.now().Add(ttl)
	m.leases[lease.TenantID] = lease
	return lease, nil
}

// ReleaseLease frees the holder's lease; someone else's is left alone.
func (m *Memory) ReleaseLease(_ context.Context, lease integration.Lease) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.holds(lease) == nil {
		delete(m.leases, lease.TenantID)
	}
	return nil
}

func (m *Memory) holds(lease integration.Lease) error {
	if held, ok := m.leases[lease.TenantID]; !ok || held.Holder != lease.Holder {
		return integration.ErrLeaseLost
	}
	return nil
}

// SaveHeldPlan keeps a held run's changes, exactly.
func (m *Memory) SaveHeldPlan(_ context.Context, tenant, runID string, changes []engine.Change) error {
	b, err := json.Marshal(changes)
	if err != nil {
		return fmt.Errorf("save held plan: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.plans[id{tenant, runID}] = b
	return nil
}

// HeldPlan reads back a held run's changes in their planned order.
func (m *Memory) HeldPlan(_ context.Context, tenant, runID string) ([]engine.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.plans[id{tenant, runID}]
	if !ok {
		return nil, nil
	}
	var out []engine.Change
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("load held plan: %w", err)
	}
	return out, nil
}

// SaveLog writes provisioning log entries: one per member and run, so
// writing one again replaces it.
func (m *Memory) SaveLog(_ context.Context, tenant string, entries []integration.LogEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range entries {
		e.Changes = slices.Clone(e.Changes)
		m.logs[logID{tenant, e.EmployeeID, e.RunID}] = e
	}
	return nil
}

// MemberLog reads a member's provisioning log newest first, a page at a
// time.
func (m *Memory) MemberLog(_ context.Context, tenant, employeeID, cursor string, limit int) ([]integration.LogEntry, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var runs []string
	for k := range m.logs {
		if k.tenant == tenant && k.employee == employeeID {
			runs = append(runs, k.run)
		}
	}
	var out []integration.LogEntry
	next, err := page(runs, logCursor, true, cursor, limit, func(run string) {
		e := m.logs[logID{tenant, employeeID, run}]
		e.Changes = slices.Clone(e.Changes)
		out = append(out, e)
	})
	if err != nil {
		return nil, "", fmt.Errorf("read provisioning log: %w", err)
	}
	return out, next, nil
}

// ClaimWelcome moves a member's welcome from owed to sending; a leaver is
// never claimed. integration.ErrConflict means there is nothing to send.
func (m *Memory) ClaimWelcome(_ context.Context, tenant, employeeID, tokenHash string, expires time.Time) (engine.Member, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// As on DynamoDB, the invitation is recorded before the claim.
	m.invites[id{tenant, tokenHash}] = invite{employeeID: employeeID, expires: expires}
	k := id{tenant, employeeID}
	mem, ok := m.members[k]
	if ok && mem.Welcome == engine.WelcomeSending && m.liveInvite[k] == tokenHash {
		return mem, nil // this very claim, made again: it stands
	}
	if !ok || mem.Welcome != engine.WelcomeOwed || mem.Status == engine.StatusLeaver {
		return engine.Member{}, fmt.Errorf("claim welcome: %w", integration.ErrConflict)
	}
	mem.Welcome = engine.WelcomeSending
	m.members[k] = mem
	m.liveInvite[k] = tokenHash
	return mem, nil
}

// FinishWelcome records the outcome of a claimed welcome.
func (m *Memory) FinishWelcome(_ context.Context, tenant, employeeID string, to integration.MailState, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := id{tenant, employeeID}
	mem, ok := m.members[k]
	if !ok || mem.Welcome != engine.WelcomeSending {
		return fmt.Errorf("finish welcome: %w", integration.ErrConflict)
	}
	mem.Welcome = engine.Welcome(to)
	if to == integration.MailSent && mem.InvitedAt.IsZero() {
		mem.InvitedAt = m.now()
	}
	m.members[k] = mem
	return nil
}

// ClaimSummary moves a run's summary email from owed to sending.
func (m *Memory) ClaimSummary(_ context.Context, tenant, runID string) error {
	return m.moveSummary(tenant, runID, integration.MailOwed, integration.MailSending, "claim summary")
}

// FinishSummary records the outcome of a claimed summary.
func (m *Memory) FinishSummary(_ context.Context, tenant, runID string, to integration.MailState) error {
	return m.moveSummary(tenant, runID, integration.MailSending, to, "finish summary")
}

func (m *Memory) moveSummary(tenant, runID string, from, to integration.MailState, doing string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := id{tenant, runID}
	r, ok := m.runs[k]
	if !ok || r.Summary != from {
		return fmt.Errorf("%s: %w", doing, integration.ErrConflict)
	}
	r.Summary = to
	m.runs[k] = r
	return nil
}

// ClaimReauthNotice moves the re-authorization email from owed to sending.
func (m *Memory) ClaimReauthNotice(_ context.Context, tenant string) error {
	return m.moveNotice(tenant, integration.MailOwed, integration.MailSending, "claim re-authorization notice")
}

// FinishReauthNotice records the outcome of a claimed notice.
func (m *Memory) FinishReauthNotice(_ context.Context, tenant string, to integration.MailState) error {
	return m.moveNotice(tenant, integration.MailSending, to, "finish re-authorization notice")
}

func (m *Memory) moveNotice(tenant string, from, to integration.MailState, doing string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.update(tenant, func(in *integration.Integration) (bool, error) {
		if in.ReauthNotice != from {
			return false, integration.ErrConflict
		}
		in.ReauthNotice = to
		return true, nil
	})
	if errors.Is(err, integration.ErrNotFound) {
		err = integration.ErrConflict // as a condition on a missing item fails
	}
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}
