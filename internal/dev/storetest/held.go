package storetest

import (
	"context"
	"fmt"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// DecideHeld moves a held run's resolution from one value to another, only
// if the run is held with resolution from; integration.ErrConflict if not.
func (m *Memory) DecideHeld(_ context.Context, tenant, runID, from, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := id{tenant, runID}
	r, ok := m.runs[k]
	if !ok || r.Status != integration.StatusHeld || r.Resolution != from {
		return fmt.Errorf("decide held run: %w", integration.ErrConflict)
	}
	r.Resolution = to
	m.runs[k] = r
	return nil
}
