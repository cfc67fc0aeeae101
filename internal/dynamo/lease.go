package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/integration"
)

const leaseSK = "LEASE"

// AcquireLease takes the tenant's lease for runID until now+ttl, if it is
// free or expired, and returns it. Otherwise it returns a
// *integration.LeaseHeldError naming the run that has it.
func (s *Store) AcquireLease(ctx context.Context, tenant, runID string, ttl time.Duration) (integration.Lease, error) {
	now := s.now()
	lease := integration.NewLease(tenant, runID, now.Add(ttl))
	item := key(tenantPK(tenant), leaseSK)
	item["runId"], item["holder"] = str(runID), str(lease.Holder)
	item["expiresAt"] = num(lease.ExpiresAt.UnixMilli())
	item["purgeAt"] = num(lease.ExpiresAt.Add(24 * time.Hour).Unix()) // TTL tidies leases of crashed runs
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table,
		Item:      item,
		// The holder's own item: the SDK retried a put that had landed.
		ConditionExpression: aws.String("attribute_not_exists(PK) OR expiresAt < :now OR holder = :holder"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": num(now.UnixMilli()), ":holder": str(lease.Holder),
		},
	})
	if conditionFailed(err) {
		return integration.Lease{}, s.heldLease(ctx, tenant)
	}
	if err != nil {
		return integration.Lease{}, fmt.Errorf("acquire lease: %w", err)
	}
	return lease, nil
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

// RenewLease extends the holder's lease to now+ttl (the heartbeat) and
// returns it renewed; integration.ErrLeaseLost once it is not the
// holder's.
func (s *Store) RenewLease(ctx context.Context, lease integration.Lease, ttl time.Duration) (integration.Lease, error) {
	expires := s.now().Add(ttl)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 key(tenantPK(lease.TenantID), leaseSK),
		UpdateExpression:    aws.String("SET expiresAt = :exp, purgeAt = :purge"),
		ConditionExpression: aws.String("holder = :holder"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":exp": num(expires.UnixMilli()), ":purge": num(expires.Add(24 * time.Hour).Unix()), ":holder": str(lease.Holder),
		},
	})
	if conditionFailed(err) {
		return lease, integration.ErrLeaseLost
	}
	if err != nil {
		return lease, fmt.Errorf("renew lease: %w", err)
	}
	lease.ExpiresAt = expires
	return lease, nil
}

// ReleaseLease frees the holder's lease; someone else's is left alone.
func (s *Store) ReleaseLease(ctx context.Context, lease integration.Lease) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       key(tenantPK(lease.TenantID), leaseSK),
		ConditionExpression:       aws.String("holder = :holder"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":holder": str(lease.Holder)},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}

// holds checks, with a strongly consistent read, that the lease is still
// its holder's: integration.ErrLeaseLost if not.
func (s *Store) holds(ctx context.Context, lease integration.Lease) error {
	item, err := s.get(ctx, tenantPK(lease.TenantID), leaseSK)
	if errors.Is(err, integration.ErrNotFound) {
		return integration.ErrLeaseLost
	}
	if err != nil {
		return fmt.Errorf("check lease: %w", err)
	}
	if holder, _ := item["holder"].(*types.AttributeValueMemberS); holder == nil || holder.Value != lease.Holder {
		return integration.ErrLeaseLost
	}
	return nil
}
