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

const leaseSK = "LEASE"

// AcquireLease takes the tenant's lease for runID until now+ttl, if it is
// free, expired, or already this holder's. Otherwise it returns a
// *integration.LeaseHeldError naming the run that has it.
func (s *Store) AcquireLease(ctx context.Context, tenant, runID, holder string, ttl time.Duration) error {
	now := s.now()
	expires := now.Add(ttl)
	item := key(tenantPK(tenant), leaseSK)
	item["runId"], item["holder"] = str(runID), str(holder)
	item["expiresAt"] = num(expires.UnixMilli())
	item["purgeAt"] = num(expires.Add(24 * time.Hour).Unix()) // TTL tidies leases of crashed runs
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           &s.table,
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(PK) OR expiresAt < :now OR holder = :holder"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": num(now.UnixMilli()), ":holder": str(holder),
		},
	})
	if conditionFailed(err) {
		return s.heldLease(ctx, tenant)
	}
	if err != nil {
		return fmt.Errorf("acquire lease: %w", err)
	}
	return nil
}

// heldLease reads who holds the lease, for the caller to decide between
// "already running" and "busy with another run".
func (s *Store) heldLease(ctx context.Context, tenant string) error {
	item, err := s.get(ctx, tenantPK(tenant), leaseSK)
	if err != nil {
		return fmt.Errorf("read held lease: %w", err)
	}
	held := &integration.LeaseHeldError{}
	if v, ok := item["runId"].(*types.AttributeValueMemberS); ok {
		held.RunID = v.Value
	}
	ms, err := intAttr(item, "expiresAt")
	if err != nil {
		return fmt.Errorf("read held lease: %w", err)
	}
	held.ExpiresAt = time.UnixMilli(ms)
	return held
}

// RenewLease extends the holder's lease to now+ttl (the heartbeat).
func (s *Store) RenewLease(ctx context.Context, tenant, holder string, ttl time.Duration) error {
	expires := s.now().Add(ttl)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 key(tenantPK(tenant), leaseSK),
		UpdateExpression:    aws.String("SET expiresAt = :exp, purgeAt = :purge"),
		ConditionExpression: aws.String("holder = :holder"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":exp": num(expires.UnixMilli()), ":purge": num(expires.Add(24 * time.Hour).Unix()), ":holder": str(holder),
		},
	})
	if conditionFailed(err) {
		return integration.ErrLeaseLost
	}
	if err != nil {
		return fmt.Errorf("renew lease: %w", err)
	}
	return nil
}

// ReleaseLease frees the holder's lease; someone else's is left alone.
func (s *Store) ReleaseLease(ctx context.Context, tenant, holder string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       key(tenantPK(tenant), leaseSK),
		ConditionExpression:       aws.String("holder = :holder"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":holder": str(holder)},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}
