package storetest

import (
	"context"
	"fmt"
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
