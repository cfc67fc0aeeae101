package storetest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// Cursors of the audit trail and of the exports, as on DynamoDB.
const (
	auditCursor  = "A#"
	exportCursor = "X#"
)

// AddAudit records an admin action.
func (m *Memory) AddAudit(_ context.Context, tenant string, e integration.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.audit[id{tenant, e.ID}] = e
	return nil
}

// AuditTrail reads a tenant's audit trail newest first, a page at a time.
func (m *Memory) AuditTrail(_ context.Context, tenant, cursor string, limit int) ([]integration.AuditEntry, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []integration.AuditEntry
	next, err := page(keysOf(m.audit, tenant), auditCursor, true, cursor, limit, func(k string) {
		out = append(out, m.audit[id{tenant, k}])
	})
	if err != nil {
		return nil, "", fmt.Errorf("read audit trail: %w", err)
	}
	return out, next, nil
}

// SaveExport writes an export's record as it is now.
func (m *Memory) SaveExport(_ context.Context, x *integration.Export) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.exports[id{x.TenantID, x.ExportID}] = *x
	return nil
}

// GetExport reads one of the tenant's exports, or integration.ErrNotFound.
func (m *Memory) GetExport(_ context.Context, tenant, exportID string) (*integration.Export, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	x, ok := m.exports[id{tenant, exportID}]
	if !ok {
		return nil, fmt.Errorf("get export %s: %w", exportID, integration.ErrNotFound)
	}
	return &x, nil
}

// ListExports reads the tenant's exports newest first, a page at a time.
func (m *Memory) ListExports(_ context.Context, tenant, cursor string, limit int) ([]*integration.Export, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*integration.Export
	next, err := page(keysOf(m.exports, tenant), exportCursor, true, cursor, limit, func(k string) {
		x := m.exports[id{tenant, k}]
		out = append(out, &x)
	})
	if err != nil {
		return nil, "", fmt.Errorf("list exports: %w", err)
	}
	return out, next, nil
}

// LogOfPeriod reads the tenant's log of the runs queued from from to
// before to, by run then employee id, at most max+1 lines.
func (m *Memory) LogOfPeriod(_ context.Context, tenant string, from, to time.Time, max int) ([]integration.LogEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	lo, hi := integration.RunIDPosition(from), integration.RunIDPosition(to)
	var out []integration.LogEntry
	for k, e := range m.logs {
		if k.tenant == tenant && k.run >= lo && k.run < hi {
			e.Changes = slices.Clone(e.Changes)
			out = append(out, e)
		}
	}
	slices.SortFunc(out, integration.PeriodOrder)
	return out[:min(len(out), max+1)], nil
}
