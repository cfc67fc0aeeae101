package storetest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// listener is a tenant's listener: its secret's hash and when it was made.
type listener struct {
	hash    string
	created time.Time
}

// PutListener makes hash the tenant's listener secret, replacing any other.
func (m *Memory) PutListener(_ context.Context, tenant, hash string) (*integration.Listener, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.listeners[tenant]; ok {
		delete(m.hooks, old.hash)
	}
	now := m.now()
	m.listeners[tenant], m.hooks[hash] = listener{hash, now}, tenant
	return &integration.Listener{CreatedAt: now}, nil
}

// DeleteListener revokes the tenant's listener.
func (m *Memory) DeleteListener(_ context.Context, tenant string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.listeners[tenant]
	if !ok {
		return fmt.Errorf("delete listener: %w", integration.ErrNotFound)
	}
	delete(m.hooks, old.hash)
	delete(m.listeners, tenant)
	return nil
}

// GetListener reads the tenant's listener.
func (m *Memory) GetListener(_ context.Context, tenant string) (*integration.Listener, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.listeners[tenant]
	if !ok {
		return nil, fmt.Errorf("get listener: %w", integration.ErrNotFound)
	}
	return &integration.Listener{CreatedAt: l.created}, nil
}

// ListenerTenant is the tenant whose listener secret hashes to hash.
func (m *Memory) ListenerTenant(_ context.Context, hash string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tenant, ok := m.hooks[hash]
	if !ok {
		return "", fmt.Errorf("listener tenant: %w", integration.ErrNotFound)
	}
	return tenant, nil
}

// NoteChange records that a notification for the change run runID named
// employeeID, up to integration.MaxTargetedReads ids.
func (m *Memory) NoteChange(_ context.Context, tenant, runID, employeeID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := id{tenant, runID}
	n := m.notes[k]
	switch {
	case slices.Contains(n.IDs, employeeID):
	case len(n.IDs) < integration.MaxTargetedReads:
		n.IDs = append(n.IDs, employeeID)
	default:
		n.All = true
	}
	m.notes[k] = n
	return nil
}

// ChangedEmployees reads the employees the change run's notifications
// named, sorted.
func (m *Memory) ChangedEmployees(_ context.Context, tenant, runID string) (integration.ChangedEmployees, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.notes[id{tenant, runID}]
	return integration.ChangedEmployees{IDs: slices.Sorted(slices.Values(n.IDs)), All: n.All}, nil
}
