package storetest

import (
	"context"
	"fmt"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// copyID names one recipient's copy of a run's summary.
type copyID struct{ tenant, run, recipient string }

// ClaimSummaryCopy moves one recipient's copy of a run's summary to
// sending, if it was never claimed or is owed again.
func (m *Memory) ClaimSummaryCopy(_ context.Context, tenant, runID, recipient string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := copyID{tenant, runID, recipient}
	if st, ok := m.copies[k]; ok && st != integration.MailOwed {
		return fmt.Errorf("claim summary copy: %w", integration.ErrConflict)
	}
	m.copies[k] = integration.MailSending
	return nil
}

// FinishSummaryCopy records the outcome of a claimed copy.
func (m *Memory) FinishSummaryCopy(_ context.Context, tenant, runID, recipient string, to integration.MailState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := copyID{tenant, runID, recipient}
	if m.copies[k] != integration.MailSending {
		return fmt.Errorf("finish summary copy: %w", integration.ErrConflict)
	}
	m.copies[k] = to
	return nil
}
