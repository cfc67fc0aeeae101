package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// maxBatchItems is DynamoDB's limit of items in one BatchWriteItem.
const maxBatchItems = 25

// heldPlanTTL is how long a held plan waits for an admin before DynamoDB
// drops it (and with it the personal data it copies).
const heldPlanTTL = 30 * 24 * time.Hour

func planPK(tenant, runID string) string { return "T#" + tenant + "#PLAN#" + runID }

// SaveHeldPlan keeps a held run's changes so that approving it applies
// exactly what the admin was shown. Rewriting the same plan is harmless.
func (s *Store) SaveHeldPlan(ctx context.Context, tenant, runID string, changes []engine.Change) error {
	expires := num(s.now().Add(heldPlanTTL).Unix())
	reqs := make([]types.WriteRequest, 0, len(changes))
	for i := range changes {
		body, err := json.Marshal(&changes[i])
		if err != nil {
			return fmt.Errorf("encode held change: %w", err)
		}
		item := key(planPK(tenant, runID), fmt.Sprintf("C#%07d", i))
		item["change"] = &types.AttributeValueMemberB{Value: body}
		item["purgeAt"] = expires
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	for start := 0; start < len(reqs); start += maxBatchItems {
		if err := s.batchWrite(ctx, reqs[start:min(start+maxBatchItems, len(reqs))]); err != nil {
			return fmt.Errorf("save held plan: %w", err)
		}
	}
	return nil
}

// HeldPlan reads back a held run's changes in their planned order.
func (s *Store) HeldPlan(ctx context.Context, tenant, runID string) ([]engine.Change, error) {
	var out []engine.Change
	err := s.queryAll(ctx, planPK(tenant, runID), func(item map[string]types.AttributeValue) error {
		b, ok := item["change"].(*types.AttributeValueMemberB)
		if !ok {
			return fmt.Errorf("held change without a body")
		}
		var c engine.Change
		if err := json.Unmarshal(b.Value, &c); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load held plan: %w", err)
	}
	return out, nil
}

// batchWrite writes up to 25 requests, resubmitting what DynamoDB returns
// as UnprocessedItems with jittered backoff until done or out of attempts.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	pending := map[string][]types.WriteRequest{s.table: reqs}
	for attempt := 0; ; attempt++ {
		out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return err
		}
		pending = out.UnprocessedItems
		if len(pending[s.table]) == 0 {
			return nil
		}
		if attempt+1 >= s.maxAttempts {
			return fmt.Errorf("%d items still unprocessed after %d attempts", len(pending[s.table]), attempt+1)
		}
		if err := s.sleep(ctx, attempt); err != nil {
			return err
		}
	}
}
