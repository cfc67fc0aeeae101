package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// conflictReason is what a change that lost to another writer says.
const conflictReason = "the member or its email address changed while this run applied it: the next run will try again"

// Members reads all of a tenant's members in employee id order.
func (m *Memory) Members(_ context.Context, tenant string) ([]engine.Member, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []engine.Member
	for k, mem := range m.members {
		if k.tenant == tenant {
			out = append(out, mem)
		}
	}
	slices.SortFunc(out, func(a, b engine.Member) int { return strings.Compare(a.EmployeeID(), b.EmployeeID()) })
	return out, nil
}

// GetMember reads one member, or integration.ErrNotFound.
func (m *Memory) GetMember(_ context.Context, tenant, employeeID string) (engine.Member, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mem, ok := m.members[id{tenant, employeeID}]
	if !ok {
		return engine.Member{}, fmt.Errorf("get member: %w", integration.ErrNotFound)
	}
	return mem, nil
}

// ListMembers reads a page of a tenant's members in employee id order. As
// a DynamoDB query's filter, status applies after limit: a page may hold
// fewer members than limit, and the cursor still goes on.
func (m *Memory) ListMembers(_ context.Context, tenant string, status engine.Status, cursor string, limit int) ([]engine.Member, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := keysOf(m.members, tenant)
	var out []engine.Member
	next, err := page(ids, memberCursor, false, cursor, limit, func(employeeID string) {
		if mem := m.members[id{tenant, employeeID}]; status == "" || mem.Status == status {
			out = append(out, mem)
		}
	})
	if err != nil {
		return nil, "", fmt.Errorf("list members: %w", err)
	}
	return out, next, nil
}

// Apply writes a plan's changes as the DynamoDB store does: the old
// addresses of members whose email changes are released first, then the
// changes that claim no address, then those that claim one; each change is
// all or nothing, conditional on the planned version and on the address
// being free or its own. A failed condition is a conflict, unless the
// member's last write was this very run's (a replay). done, if not nil,
// counts the changes done.
func (m *Memory) Apply(ctx context.Context, tenant, runID string, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error) {
	return m.apply(ctx, tenant, runID, changes, done, false)
}

// ApplyLeased writes a plan as Apply does for lease's run, but its creates
// without conditions, trusting the lease and the plan: as the DynamoDB
// store's batch writes do. A lease no longer its holder's is
// integration.ErrLeaseLost, before anything is written.
func (m *Memory) ApplyLeased(ctx context.Context, lease integration.Lease, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error) {
	m.mu.Lock()
	err := m.holds(lease)
	m.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("apply changes: %w", err)
	}
	return m.apply(ctx, lease.TenantID, lease.RunID, changes, done, true)
}

func (m *Memory) apply(ctx context.Context, tenant, runID string, changes []engine.Change, done *atomic.Int64, leased bool) ([]engine.Conflict, error) {
	if done == nil {
		done = new(atomic.Int64)
	}
	now := m.now().UTC()
	var moving, free, claiming, creates []*engine.Change
	for i := range changes {
		c := &changes[i]
		if c.ReleasedEmail() != "" && c.ClaimedEmail() != "" {
			moving = append(moving, c)
		}
		switch {
		case leased && c.Kind == engine.KindCreate && c.Before == nil && c.ClaimedEmail() != "":
			creates = append(creates, c)
		case c.ClaimedEmail() == "":
			free = append(free, c)
		default:
			claiming = append(claiming, c)
		}
	}
	for _, c := range moving {
		m.mu.Lock()
		m.release(tenant, c.EmployeeID(), c.ReleasedEmail())
		m.mu.Unlock()
	}
	var conflicts []engine.Conflict
	for _, c := range slices.Concat(free, claiming, creates) {
		if err := ctx.Err(); err != nil {
			return conflicts, fmt.Errorf("apply changes: %w", err)
		}
		m.mu.Lock()
		ok := m.change(tenant, runID, c, now, leased)
		m.mu.Unlock()
		if !ok {
			conflicts = append(conflicts, engine.Conflict{Change: c, Reason: conflictReason})
		}
		done.Add(1)
	}
	return conflicts, nil
}

// change writes one change, or reports that it lost to another writer.
func (m *Memory) change(tenant, runID string, c *engine.Change, now time.Time, leased bool) bool {
	switch {
	case leased && c.Kind == engine.KindCreate && c.Before == nil && c.ClaimedEmail() != "":
		m.owners[id{tenant, c.ClaimedEmail()}] = c.EmployeeID()
		m.members[id{tenant, c.EmployeeID()}] = created(runID, &c.After, now)
		return true
	case m.write(tenant, runID, c, now):
		return true
	}
	last, ok := m.members[id{tenant, c.EmployeeID()}]
	return ok && runID != "" && last.LastRunID == runID // a replay of this run's own write
}

// write applies a change if every item is as planned: the member absent
// (a create) or at the planned version, the address it claims or gives up
// free or its own.
func (m *Memory) write(tenant, runID string, c *engine.Change, now time.Time) bool {
	employee := c.EmployeeID()
	if c.Kind == engine.KindRelink {
		return m.relink(tenant, runID, c, now)
	}
	stored, exists := m.members[id{tenant, employee}]
	switch {
	case c.Before == nil && exists, c.Before != nil && (!exists || stored.Version != c.Before.Version):
		return false
	case !m.mayHold(tenant, employee, c.ClaimedEmail()):
		return false
	}
	released := c.ReleasedEmail()
	if released != "" && c.ClaimedEmail() == "" {
		if !m.mayHold(tenant, employee, released) {
			return false
		}
		delete(m.owners, id{tenant, released})
	}
	if claimed := c.ClaimedEmail(); claimed != "" {
		m.owners[id{tenant, claimed}] = employee
	}
	if c.Before == nil {
		m.members[id{tenant, employee}] = created(runID, &c.After, now)
		return true
	}
	updated(&stored, c, runID, now)
	m.members[id{tenant, employee}] = stored
	return true
}

// relink moves a member to its new employee id, the old one at its planned
// version, the new one free, the address's owner following.
func (m *Memory) relink(tenant, runID string, c *engine.Change, now time.Time) bool {
	old := c.Before
	stored, ok := m.members[id{tenant, old.EmployeeID()}]
	if _, taken := m.members[id{tenant, c.EmployeeID()}]; !ok || taken || stored.Version != old.Version {
		return false
	}
	if !m.mayHold(tenant, old.EmployeeID(), c.After.Email()) {
		return false
	}
	delete(m.members, id{tenant, old.EmployeeID()})
	moved := created(runID, &c.After, now)
	moved.CreatedAt, moved.LastChange, moved.Version = old.CreatedAt, engine.KindRelink, old.Version+1
	m.members[id{tenant, c.EmployeeID()}] = moved
	m.owners[id{tenant, c.After.Email()}] = c.EmployeeID()
	return true
}

// mayHold reports whether employee may take or drop address: it is free
// or already the employee's.
func (m *Memory) mayHold(tenant, employee, address string) bool {
	if address == "" {
		return true
	}
	owner, ok := m.owners[id{tenant, address}]
	return !ok || owner == employee
}

// release frees employee's address; someone else's is left alone.
func (m *Memory) release(tenant, employee, address string) {
	if owner, ok := m.owners[id{tenant, address}]; ok && owner == employee {
		delete(m.owners, id{tenant, address})
	}
}

// created is a new member as stored: version 1, stamped with its run.
func created(runID string, after *engine.Member, now time.Time) engine.Member {
	mem := *after
	mem.PurgeAt = purgeTime(mem.PurgeAt)
	mem.Version, mem.LastRunID, mem.LastChange = 1, runID, engine.KindCreate
	mem.CreatedAt, mem.UpdatedAt = now, now
	return mem
}

// updated writes onto the stored member only what differs between the
// change's before and after, as the table's update does: what another
// writer set meanwhile on an attribute the plan left alone (the mailer's
// welcome state) stays.
func updated(stored *engine.Member, c *engine.Change, runID string, now time.Time) {
	before, after := c.Before, &c.After
	for f := range engine.NumFields {
		if after.Values.Get(f) != before.Values.Get(f) {
			stored.Values.Set(f, after.Values.Get(f))
		}
	}
	set(&stored.Status, before.Status, after.Status)
	set(&stored.Welcome, before.Welcome, after.Welcome)
	set(&stored.Accepted, before.Accepted, after.Accepted)
	set(&stored.LeftOn, before.LeftOn, after.LeftOn)
	set(&stored.PurgeOn, before.PurgeOn, after.PurgeOn)
	set(&stored.PurgeAt, purgeTime(before.PurgeAt), purgeTime(after.PurgeAt))
	stored.Version++
	stored.LastRunID, stored.LastChange, stored.UpdatedAt = runID, c.Kind, now
}

func set[T comparable](dst *T, before, after T) {
	if after != before {
		*dst = after
	}
}

// purgeTime is a purge instant as the table's TTL attribute keeps it: to
// the second, in UTC.
func purgeTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Unix(t.Unix(), 0).UTC()
}
