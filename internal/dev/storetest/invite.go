package storetest

import (
	"context"
	"fmt"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// invite is an invitation issued to a member.
type invite struct {
	employeeID string
	expires    time.Time
}

// RedeemInvite makes the member an invitation (by its token's hash) was
// issued to active, spending the token.
func (m *Memory) RedeemInvite(_ context.Context, tenant, tokenHash string) (engine.Member, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inv, ok := m.invites[id{tenant, tokenHash}]
	if !ok {
		return engine.Member{}, fmt.Errorf("redeem invitation: %w", integration.ErrNotFound)
	}
	k := id{tenant, inv.employeeID}
	mem, ok := m.members[k]
	if !ok {
		return engine.Member{}, fmt.Errorf("redeem invitation: member: %w", integration.ErrNotFound)
	}
	now := m.now()
	if err := integration.CheckRedeem(&mem, m.liveInvite[k] == tokenHash, inv.expires, now); err != nil {
		return engine.Member{}, fmt.Errorf("redeem invitation: %w", err)
	}
	integration.Join(&mem, now)
	m.members[k] = mem
	delete(m.liveInvite, k)
	return mem, nil
}

// MemberByEmail reads the member holding an address, or
// integration.ErrNotFound.
func (m *Memory) MemberByEmail(_ context.Context, tenant, email string) (engine.Member, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mem, ok := m.members[id{tenant, m.owners[id{tenant, email}]}]
	if !ok || mem.Email() != email || mem.Status == engine.StatusLeaver {
		return engine.Member{}, fmt.Errorf("member by email: %w", integration.ErrNotFound)
	}
	return mem, nil
}
