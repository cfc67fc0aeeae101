package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/integration"
)

const dueIndex = "GSI1"

// duePK is the index partition of a shard (integration.DueBucket).
func duePK(bucket int) string { return fmt.Sprintf("DUE#%02d", bucket) }

func dueBucket(tenant string) string { return duePK(integration.DueBucket(tenant)) }

// Due times are sortable text: fixed-width UTC.
const dueLayout = "2006-01-02T15:04:05Z"

func dueKey(t time.Time) string { return t.UTC().Format(dueLayout) }

type dueItem struct {
	TenantID  string       `json:"tenantId"`
	NextRunAt string       `json:"nextRunAt"`
	Settings  settingsItem `json:"settings"` // the integration item's own stored shape
}

// DueIntegrations reads every integration of bucket
// (0..integration.DueBuckets-1) due at or before now, from the sparse
// index: unscheduled tenants cost nothing.
func (s *Store) DueIntegrations(ctx context.Context, bucket int, now time.Time) ([]integration.Due, error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(dueIndex),
		KeyConditionExpression: aws.String("GSI1PK = :b AND GSI1SK <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":b": str(duePK(bucket)), ":now": str(dueKey(now)),
		},
	}
	var out []integration.Due
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query due integrations: %w", err)
		}
		for _, item := range page.Items {
			var it dueItem
			if err := unmarshal(item, &it); err != nil {
				return nil, fmt.Errorf("decode due integration: %w", err)
			}
			next, err := parseTime(it.NextRunAt)
			if err != nil {
				return nil, fmt.Errorf("decode due integration %s: %w", it.TenantID, err)
			}
			out = append(out, integration.Due{TenantID: it.TenantID, NextRunAt: next, Settings: it.Settings.settings()})
		}
	}
	return out, nil
}

// AdvanceSchedule moves a tenant from the slot it was due for to the next
// one, only if it is still at that slot: of two schedulers on one tick, one
// advances and the other gets integration.ErrConflict.
func (s *Store) AdvanceSchedule(ctx context.Context, tenant string, slot, next, dueAt time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 key(tenantPK(tenant), integrationSK),
		UpdateExpression:    aws.String("SET nextRunAt = :next, GSI1SK = :due"),
		ConditionExpression: aws.String("nextRunAt = :slot AND attribute_exists(GSI1PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":next": str(formatTime(next)), ":due": str(dueKey(dueAt)), ":slot": str(formatTime(slot)),
		},
	})
	if conditionFailed(err) {
		return fmt.Errorf("advance schedule: %w", integration.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("advance schedule: %w", err)
	}
	return nil
}
