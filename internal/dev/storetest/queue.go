package storetest

import (
	"context"
	"fmt"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// QueueRun records r as the tenant's queued run unless the run its slot
// names is queued or running: then it returns that run and records nothing.
func (m *Memory) QueueRun(_ context.Context, r *integration.Run) (*integration.Run, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.slots[r.TenantID]; ok {
		if active := m.runs[id{r.TenantID, prev}]; active.Active() {
			return &active, nil
		}
	}
	k := id{r.TenantID, r.RunID}
	if _, ok := m.runs[k]; ok {
		return nil, fmt.Errorf("queue run: %w", integration.ErrConflict)
	}
	m.runs[k] = *r
	m.slots[r.TenantID] = r.RunID
	return nil, nil
}
