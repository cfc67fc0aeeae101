package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// activeRunSK is the tenant's slot item: the id of the last run the API
// queued. It is never cleared: the run it names says whether the slot is
// taken (queued or running) or free (any other status).
const activeRunSK = "ACTIVERUN"

// queueRunAttempts bounds how often QueueRun re-reads the slot after
// losing it to a concurrent caller; each loss means a winner to answer with.
const queueRunAttempts = 5

// QueueRun records r as the tenant's queued run unless a run the slot names
// is queued or running: then it returns that run and records nothing. The
// slot moves with a condition on the run it named, in one transaction with
// the new run, so of many callers at once exactly one queues a run and the
// others get it.
func (s *Store) QueueRun(ctx context.Context, r *integration.Run) (*integration.Run, error) {
	for range queueRunAttempts {
		prev := ""
		item, err := s.get(ctx, tenantPK(r.TenantID), activeRunSK)
		switch {
		case err == nil:
			v, _ := item["runId"].(*types.AttributeValueMemberS)
			if v == nil {
				return nil, errors.New("queue run: the tenant's slot names no run")
			}
			prev = v.Value
			active, err := s.GetRun(ctx, r.TenantID, prev)
			if err != nil {
				return nil, fmt.Errorf("queue run: %w", err)
			}
			if active.Active() {
				return active, nil
			}
		case !errors.Is(err, integration.ErrNotFound):
			return nil, fmt.Errorf("queue run: read the tenant's slot: %w", err)
		}
		run, err := encodeRun(r)
		if err != nil {
			return nil, err
		}
		slot := key(tenantPK(r.TenantID), activeRunSK)
		slot["runId"] = str(r.RunID)
		put := &types.Put{TableName: &s.table, Item: slot, ConditionExpression: aws.String("attribute_not_exists(PK)")}
		if prev != "" {
			put.ConditionExpression = aws.String("runId = :prev")
			put.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": str(prev)}
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: put},
			{Put: &types.Put{TableName: &s.table, Item: run, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		}})
		if err == nil {
			return nil, nil
		}
		if !isConditionFailure(err) && !retryable(err) {
			return nil, fmt.Errorf("queue run: %w", err)
		}
	}
	return nil, fmt.Errorf("queue run: the tenant's slot kept changing: %w", integration.ErrConflict)
}
