package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/integration"
)

func logPK(tenant, employeeID string) string { return "T#" + tenant + "#LOG#" + employeeID }

// logSK orders a member's log by run (run ids sort by time); a run writes
// one entry per member, so writing it again replaces it.
func logSK(runID string) string { return "L#" + runID }

type logItem struct {
	PK      string               `json:"PK"`
	SK      string               `json:"SK"`
	Entry   integration.LogEntry `json:"entry"`
	PurgeAt int64                `json:"purgeAt"`
}

// SaveLog writes provisioning log entries, 25 a call, kept for
// integration.LogRetention. Each call's items are encoded just before it:
// a large run's log is never all encoded at once.
func (s *Store) SaveLog(ctx context.Context, tenant string, entries []integration.LogEntry) error {
	purge := s.now().Add(integration.LogRetention).Unix()
	for start := 0; start < len(entries); start += maxBatchItems {
		batch := entries[start:min(start+maxBatchItems, len(entries))]
		reqs := make([]types.WriteRequest, len(batch))
		for i, e := range batch {
			item, err := marshal(logItem{PK: logPK(tenant, e.EmployeeID), SK: logSK(e.RunID), Entry: e, PurgeAt: purge})
			if err != nil {
				return fmt.Errorf("encode log entry: %w", err)
			}
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
		}
		if err := s.batchWrite(ctx, reqs); err != nil {
			return fmt.Errorf("save provisioning log: %w", err)
		}
	}
	return nil
}

// MemberLog reads a member's provisioning log newest first, a page at a
// time (see ListRuns for cursors).
func (s *Store) MemberLog(ctx context.Context, tenant, employeeID, cursor string, limit int) ([]integration.LogEntry, string, error) {
	var out []integration.LogEntry
	next, err := s.page(ctx, logPK(tenant, employeeID), logSK(""), "", cursor, limit, false, func(item map[string]types.AttributeValue) error {
		var it logItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		out = append(out, it.Entry)
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("read provisioning log: %w", err)
	}
	return out, next, nil
}
