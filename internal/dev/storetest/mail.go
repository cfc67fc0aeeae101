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

// quotaID names one tenant's counter of one kind of email on one day.
type quotaID struct{ tenant, kind, day string }

// TakeMailQuota counts one email against the tenant's allowance for the
// day, while below limit.
func (m *Memory) TakeMailQuota(_ context.Context, tenant, kind, day string, limit int) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := quotaID{tenant, kind, day}
	if m.quotas[k] >= limit {
		return false, nil
	}
	m.quotas[k]++
	return true, nil
}
