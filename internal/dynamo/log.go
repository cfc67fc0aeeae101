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

// logFormat is the provisioning log item's format version.
const logFormat = 1

type logItem struct {
	PK      string       `json:"PK"`
	SK      string       `json:"SK"`
	Format  int64        `json:"fmt"`
	Entry   logEntryItem `json:"entry"`
	PurgeAt int64        `json:"purgeAt"`
}

type logEntryItem struct {
	EmployeeID string          `json:"employeeId"`
	RunID      string          `json:"runId"`
	Action     string          `json:"action"`
	Changes    []logChangeItem `json:"changes"`
	Reason     string          `json:"reason"`
	At         string          `json:"at"`
}

// logChangeItem is integration.FieldChange as stored; the two convert into
// each other, so a new member there does not compile here until it has a
// stored name.
type logChangeItem struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

func encodeLogEntry(tenant string, e *integration.LogEntry, purgeAt int64) (map[string]types.AttributeValue, error) {
	item, err := marshal(logItem{
		PK: logPK(tenant, e.EmployeeID), SK: logSK(e.RunID), Format: logFormat, PurgeAt: purgeAt,
		Entry: logEntryItem{
			EmployeeID: e.EmployeeID, RunID: e.RunID, Action: e.Action, Reason: e.Reason, At: formatTime(e.At),
			Changes: mapSlice(e.Changes, func(c integration.FieldChange) logChangeItem { return logChangeItem(c) }),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("encode log entry: %w", err)
	}
	return item, nil
}

func decodeLogEntry(item map[string]types.AttributeValue) (integration.LogEntry, error) {
	if err := checkFormat("log entry "+text(item, "SK"), item, logFormat); err != nil {
		return integration.LogEntry{}, err
	}
	var it logItem
	if err := unmarshal(item, &it); err != nil {
		return integration.LogEntry{}, fmt.Errorf("decode log entry: %w", err)
	}
	at, err := parseTime(it.Entry.At)
	if err != nil {
		return integration.LogEntry{}, fmt.Errorf("decode log entry: at: %w", err)
	}
	return integration.LogEntry{
		EmployeeID: it.Entry.EmployeeID, RunID: it.Entry.RunID, Action: it.Entry.Action, Reason: it.Entry.Reason, At: at,
		Changes: mapSlice(it.Entry.Changes, func(c logChangeItem) integration.FieldChange { return integration.FieldChange(c) }),
	}, nil
}

// SaveLog writes provisioning log entries, 25 a call, kept for
// integration.LogRetention. Each call's items are encoded just before it:
// a large run's log is never all encoded at once.
func (s *Store) SaveLog(ctx context.Context, tenant string, entries []integration.LogEntry) error {
	purge := s.now().Add(integration.LogRetention).Unix()
	for start := 0; start < len(entries); start += maxBatchItems {
		batch := entries[start:min(start+maxBatchItems, len(entries))]
		reqs := make([]types.WriteRequest, len(batch))
		for i := range batch {
			item, err := encodeLogEntry(tenant, &batch[i], purge)
			if err != nil {
				return err
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
		e, err := decodeLogEntry(item)
		if err == nil {
			out = append(out, e)
		}
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("read provisioning log: %w", err)
	}
	return out, next, nil
}
