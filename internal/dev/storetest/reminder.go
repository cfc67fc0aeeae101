package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// invitation is what the memory store keeps of a member's invitations
// beside the member, as the DynamoDB store keeps it on the item.
type invitation struct {
	resendAt      time.Time
	reminderState integration.MailState
	due           time.Time // zero: no reminder due
	dueN          int
}

// ScheduleReminder makes reminder n of a member due at at, unless it
// joined or left.
func (m *Memory) ScheduleReminder(_ context.Context, tenant, employeeID string, n int, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := id{tenant, employeeID}
	if mem, ok := m.members[k]; ok && mem.Status == engine.StatusInvited && !mem.Accepted {
		inv := m.invitations[k]
		inv.due, inv.dueN = at, n
		m.invitations[k] = inv
	}
	return nil
}

// DueReminders reads the reminders of one shard due at or before now, in
// due order.
func (m *Memory) DueReminders(_ context.Context, bucket int, now time.Time) ([]integration.DueReminder, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	type due struct {
		r  integration.DueReminder
		at time.Time
	}
	var all []due
	for k, inv := range m.invitations {
		// Compared as the due index compares: whole seconds, due after.
		if !inv.due.IsZero() && integration.ReminderBucket(k.tenant, k.key) == bucket && inv.due.Truncate(time.Second).Before(now.Truncate(time.Second)) {
			all = append(all, due{integration.DueReminder{TenantID: k.tenant, EmployeeID: k.key, N: inv.dueN}, inv.due})
		}
	}
	slices.SortFunc(all, func(a, b due) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.r.TenantID+"\x00"+a.r.EmployeeID, b.r.TenantID+"\x00"+b.r.EmployeeID)
	})
	out := make([]integration.DueReminder, len(all))
	for i, d := range all {
		out[i] = d.r
	}
	return out, nil
}

// ClaimReminder moves reminder n of a member to sending with a fresh
// invitation, and out of the due reminders.
func (m *Memory) ClaimReminder(_ context.Context, tenant, employeeID string, n int, tokenHash string, expires time.Time) (engine.Member, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.invites[id{tenant, tokenHash}] = invite{employeeID: employeeID, expires: expires}
	k := id{tenant, employeeID}
	mem, ok := m.members[k]
	inv := m.invitations[k]
	remindable := ok && mem.Status == engine.StatusInvited && !mem.Accepted && mem.Welcome == engine.WelcomeSent
	if remindable && inv.reminderState == integration.MailSending && m.liveInvite[k] == tokenHash {
		return mem, nil // this very claim, made again: it stands
	}
	if !remindable || mem.Reminders != n-1 || inv.reminderState == integration.MailSending {
		if !remindable {
			inv.due, inv.dueN = time.Time{}, 0
			m.invitations[k] = inv
		}
		return engine.Member{}, fmt.Errorf("claim reminder: %w", integration.ErrConflict)
	}
	inv.reminderState, inv.due, inv.dueN = integration.MailSending, time.Time{}, 0
	m.invitations[k] = inv
	m.liveInvite[k] = tokenHash
	return mem, nil
}

// FinishReminder records the outcome of claimed reminder n.
func (m *Memory) FinishReminder(_ context.Context, tenant, employeeID string, n int, to integration.MailState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := id{tenant, employeeID}
	inv := m.invitations[k]
	if inv.reminderState != integration.MailSending {
		return fmt.Errorf("finish reminder: %w", integration.ErrConflict)
	}
	inv.reminderState = to
	m.invitations[k] = inv
	if mem, ok := m.members[k]; ok && to == integration.MailSent {
		mem.Reminders = n
		m.members[k] = mem
	}
	return nil
}

// CancelReminders makes nothing due for a member whatever its state.
func (m *Memory) CancelReminders(_ context.Context, tenant, employeeID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := id{tenant, employeeID}
	if inv, ok := m.invitations[k]; ok {
		inv.due, inv.dueN = time.Time{}, 0
		m.invitations[k] = inv
	}
	return nil
}

// ResendInvite owes a member its welcome again, at most once every
// integration.ResendEvery.
func (m *Memory) ResendInvite(_ context.Context, tenant, employeeID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := id{tenant, employeeID}
	mem, ok := m.members[k]
	if !ok {
		return fmt.Errorf("resend invitation: %w", integration.ErrNotFound)
	}
	inv := m.invitations[k]
	now := m.now()
	if err := integration.CheckResend(&mem, inv.resendAt, now); err != nil {
		return fmt.Errorf("resend invitation: %w", err)
	}
	mem.Welcome, inv.resendAt = engine.WelcomeOwed, now
	m.members[k], m.invitations[k] = mem, inv
	return nil
}
