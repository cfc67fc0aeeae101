package dynamo

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/integration"
)

func logPK(tenant, employeeID string) string { return "T#" + tenant + "#LOG#" + employeeID }

// logSK orders a member's log by run (run ids sort by time); a run writes
// one entry per member, so writing it again replaces it.
func logSK(runID string) string { return "L#" + runID }

// logFormat is the provisioning log item's format version. Format 2 added
// the period index's keys; format 1 items read the same and are in no
// period until they expire.
const logFormat = 2

// The period index (PeriodIndex) orders a tenant's log by run, across
// members, for the log of a period: its partition is one of logShards of
// the tenant's, by employee id, so a first import's 100,000 lines are
// spread over several partitions instead of throttled on one; its sort
// key is the run id (which sorts by time) then the employee id.
const (
	periodIndex  = "PeriodIndex"
	periodPKAttr = "PERIODPK"
	periodSKAttr = "PERIODSK"
	logShards    = 8
)

func periodPK(tenant string, shard int) string {
	return "T#" + tenant + "#LOGP#" + strconv.Itoa(shard)
}

func logShard(employeeID string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(employeeID)) // a hash never fails to write
	return int(h.Sum32() % logShards)
}

type logItem struct {
	PK       string       `json:"PK"`
	SK       string       `json:"SK"`
	Format   int64        `json:"fmt"`
	PeriodPK string       `json:"PERIODPK"`
	PeriodSK string       `json:"PERIODSK"`
	Entry    logEntryItem `json:"entry"`
	PurgeAt  int64        `json:"purgeAt"`
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
		PeriodPK: periodPK(tenant, logShard(e.EmployeeID)), PeriodSK: e.RunID + "#" + e.EmployeeID,
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
	what := "log entry " + text(item, "SK")
	if v, err := formatOf(what, item, 1); err != nil {
		return integration.LogEntry{}, err
	} else if v != 1 && v != logFormat {
		return integration.LogEntry{}, unknownFormat(what, v, logFormat)
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

// LogOfPeriod reads the tenant's provisioning log of the runs queued from
// from to before to, across members, ordered by run then employee id; at
// most max lines, and one more when there are more (the caller refuses
// it). The index is read eventually consistently: a run that ended a
// moment ago may show a little later.
func (s *Store) LogOfPeriod(ctx context.Context, tenant string, from, to time.Time, max int) ([]integration.LogEntry, error) {
	var out []integration.LogEntry
	for shard := range logShards {
		in := &dynamodb.QueryInput{
			TableName:                &s.table,
			IndexName:                aws.String(periodIndex),
			KeyConditionExpression:   aws.String("#pk = :pk AND #sk BETWEEN :from AND :to"),
			ExpressionAttributeNames: map[string]string{"#pk": periodPKAttr, "#sk": periodSKAttr},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": str(periodPK(tenant, shard)), ":from": str(integration.RunIDPosition(from)), ":to": str(integration.RunIDPosition(to)),
			},
		}
		p := dynamodb.NewQueryPaginator(s.db, in)
		for p.HasMorePages() && len(out) <= max {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("read the log of a period: %w", err)
			}
			for _, item := range page.Items {
				e, err := decodeLogEntry(item)
				if err != nil {
					return nil, err
				}
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, integration.PeriodOrder)
	return out[:min(len(out), max+1)], nil
}
