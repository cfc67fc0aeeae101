package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

func runPK(tenant string) string { return "T#" + tenant + "#R" }
func runSK(runID string) string  { return "R#" + runID }

// runFormat is the run item's format version. Format 3 added phases (when
// the run entered each); format 2 added members (the directory's totals);
// older runs read without them.
const runFormat = 3

type runItem struct {
	PK            string                `json:"PK"`
	SK            string                `json:"SK"`
	Format        int64                 `json:"fmt"`
	TenantID      string                `json:"tenantId"`
	RunID         string                `json:"runId"`
	Trigger       integration.Trigger   `json:"trigger"`
	Status        integration.Status    `json:"status"`
	StartedBy     string                `json:"startedBy,omitempty"`
	QueuedAt      string                `json:"queuedAt,omitempty"`
	StartedAt     string                `json:"startedAt,omitempty"`
	FinishedAt    string                `json:"finishedAt,omitempty"`
	Phase         integration.Phase     `json:"phase,omitempty"`
	Processed     int                   `json:"processed"`
	Total         int                   `json:"total"`
	Counts        countsItem            `json:"counts"`
	HeldReason    string                `json:"heldReason,omitempty"`
	FailureReason string                `json:"failureReason,omitempty"`
	ErrorFileKey  string                `json:"errorFileKey,omitempty"`
	Summary       integration.MailState `json:"summary,omitempty"`
	Approves      string                `json:"approves,omitempty"`
	Resolution    string                `json:"resolution,omitempty"`
	Members       *memberTotalsItem     `json:"members,omitempty"`
	Phases        []phaseItem           `json:"phases,omitempty"`
}

// phaseItem is integration.PhaseTime as stored.
type phaseItem struct {
	Phase     integration.Phase `json:"phase"`
	StartedAt string            `json:"startedAt"`
}

// memberTotalsItem is integration.MemberTotals as stored.
type memberTotalsItem struct {
	Members         int `json:"members"`
	Joined          int `json:"joined"`
	JoinedSinceLast int `json:"joinedSinceLast"`
}

// countsItem is engine.Counts as stored, named here rather than by the
// API's JSON tags. The two convert into each other, so a count added to
// engine.Counts does not compile here until it has a stored name.
type countsItem struct {
	Created        int `json:"created"`
	Updated        int `json:"updated"`
	Unchanged      int `json:"unchanged"`
	Closed         int `json:"closed"`
	Reactivated    int `json:"reactivated"`
	SkippedLeavers int `json:"skippedLeavers"`
	OutOfScope     int `json:"outOfScope"`
	Errors         int `json:"errors"`
	Warnings       int `json:"warnings"`
	Total          int `json:"total"`
}

// CreateRun records a new run; integration.ErrConflict if the run id exists.
func (s *Store) CreateRun(ctx context.Context, r *integration.Run) error {
	err := s.putRun(ctx, r, "attribute_not_exists(PK)")
	if conditionFailed(err) {
		return fmt.Errorf("create run: %w", integration.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	return nil
}

// SaveRun overwrites an existing run's record: only the worker holding the
// tenant's run writes it.
func (s *Store) SaveRun(ctx context.Context, r *integration.Run) error {
	err := s.putRun(ctx, r, "attribute_exists(PK)")
	if conditionFailed(err) {
		return fmt.Errorf("save run: %w", integration.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("save run: %w", err)
	}
	return nil
}

// DecideHeld records an admin's decision on a held run: from "" (waiting)
// to a resolution, or from that resolution back to waiting ("") when what
// it started could not be queued. The write is conditional on the run
// being held with resolution from, so of an approve and a discard at once
// one wins and the other gets integration.ErrConflict (so does a run that
// does not exist or is not held).
func (s *Store) DecideHeld(ctx context.Context, tenant, runID, from, to string) error {
	values := map[string]types.AttributeValue{":held": str(string(integration.StatusHeld))}
	cond := "#status = :held AND attribute_not_exists(resolution)"
	if from != "" {
		cond, values[":from"] = "#status = :held AND resolution = :from", str(from)
	}
	update := "REMOVE resolution"
	if to != "" {
		update, values[":to"] = "SET resolution = :to", str(to)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       key(runPK(tenant), runSK(runID)),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: values,
	})
	if conditionFailed(err) {
		return fmt.Errorf("decide held run: %w", integration.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("decide held run: %w", err)
	}
	return nil
}

func (s *Store) putRun(ctx context.Context, r *integration.Run, cond string) error {
	item, err := encodeRun(r)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: aws.String(cond)})
	return err
}

func encodeRun(r *integration.Run) (map[string]types.AttributeValue, error) {
	item, err := marshal(runItem{
		PK: runPK(r.TenantID), SK: runSK(r.RunID), Format: runFormat, TenantID: r.TenantID, RunID: r.RunID,
		Trigger: r.Trigger, Status: r.Status, StartedBy: r.StartedBy,
		QueuedAt: formatTime(r.QueuedAt), StartedAt: formatTime(r.StartedAt), FinishedAt: formatTime(r.FinishedAt),
		Phase: r.Phase, Processed: r.Processed, Total: r.Total, Counts: countsItem(r.Counts),
		HeldReason: r.HeldReason, FailureReason: r.FailureReason, ErrorFileKey: r.ErrorFileKey,
		Summary: r.Summary, Approves: r.Approves, Resolution: r.Resolution,
		Members: (*memberTotalsItem)(r.Members),
		Phases: mapSlice(r.Phases, func(p integration.PhaseTime) phaseItem {
			return phaseItem{Phase: p.Phase, StartedAt: formatTime(p.StartedAt)}
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("encode run: %w", err)
	}
	return item, nil
}

// GetRun reads one run of the tenant, or integration.ErrNotFound.
func (s *Store) GetRun(ctx context.Context, tenant, runID string) (*integration.Run, error) {
	item, err := s.get(ctx, runPK(tenant), runSK(runID))
	if err != nil {
		return nil, fmt.Errorf("get run: %w", err)
	}
	return decodeRun(item)
}

func decodeRun(item map[string]types.AttributeValue) (*integration.Run, error) {
	what := "run " + text(item, "SK")
	if v, err := formatOf(what, item, 1); err != nil {
		return nil, err
	} else if v < 1 || v > runFormat {
		return nil, unknownFormat(what, v, runFormat)
	}
	var it runItem
	if err := unmarshal(item, &it); err != nil {
		return nil, fmt.Errorf("decode run: %w", err)
	}
	r := &integration.Run{
		TenantID: it.TenantID, RunID: it.RunID, Trigger: it.Trigger, Status: it.Status, StartedBy: it.StartedBy,
		Phase: it.Phase, Processed: it.Processed, Total: it.Total, Counts: engine.Counts(it.Counts),
		HeldReason: it.HeldReason, FailureReason: it.FailureReason, ErrorFileKey: it.ErrorFileKey,
		Summary: it.Summary, Approves: it.Approves, Resolution: it.Resolution,
		Members: (*integration.MemberTotals)(it.Members),
	}
	times := []timeAttr{{&r.QueuedAt, it.QueuedAt}, {&r.StartedAt, it.StartedAt}, {&r.FinishedAt, it.FinishedAt}}
	if it.Phases != nil {
		r.Phases = make([]integration.PhaseTime, len(it.Phases))
		for i, p := range it.Phases {
			r.Phases[i].Phase = p.Phase
			times = append(times, timeAttr{&r.Phases[i].StartedAt, p.StartedAt})
		}
	}
	if err := parseTimes(times); err != nil {
		return nil, fmt.Errorf("decode run: %w", err)
	}
	return r, nil
}

// ListRuns reads a tenant's runs newest first, a page at a time. cursor is
// what the previous page returned ("" for the first); the next cursor is ""
// after the last page. A cursor only names a run id: it cannot reach
// another tenant's runs.
func (s *Store) ListRuns(ctx context.Context, tenant, cursor string, limit int) ([]*integration.Run, string, error) {
	var out []*integration.Run
	next, err := s.page(ctx, runPK(tenant), runSK(""), "", cursor, limit, false, func(item map[string]types.AttributeValue) error {
		r, err := decodeRun(item)
		if err == nil {
			out = append(out, r)
		}
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list runs: %w", err)
	}
	return out, next, nil
}

// Times are stored as RFC 3339 UTC text; the zero time as absent.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// timeAttr is a time to parse from its stored text.
type timeAttr struct {
	dst *time.Time
	src string
}

func parseTimes(ts []timeAttr) error {
	for _, t := range ts {
		var err error
		if *t.dst, err = parseTime(t.src); err != nil {
			return err
		}
	}
	return nil
}
