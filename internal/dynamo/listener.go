package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// A tenant's listener is two items written together: the tenant's own
// (T#<tenant> / LISTENER: the secret's hash and when it was made) and the
// lookup a notification finds its tenant by (HOOK#<hash> / HOOK), outside
// every tenant's partitions since the notification names no tenant.

const (
	listenerSK     = "LISTENER"
	hookSK         = "HOOK"
	listenerFormat = 1
)

func hookPK(hash string) string { return "HOOK#" + hash }

// listenerRetries bounds the rereads when two admins rotate at once.
const listenerRetries = 3

// PutListener makes hash the tenant's listener secret, replacing any
// other: the old URL stops working in the same write.
func (s *Store) PutListener(ctx context.Context, tenant, hash string) (*integration.Listener, error) {
	for range listenerRetries {
		old, err := s.listenerHash(ctx, tenant)
		if err != nil {
			return nil, err
		}
		now := s.now()
		mine := key(tenantPK(tenant), listenerSK)
		mine[formatAttr], mine["hash"], mine["createdAt"] = num(listenerFormat), str(hash), str(formatTime(now))
		hook := key(hookPK(hash), hookSK)
		hook[formatAttr], hook["tenantId"] = num(listenerFormat), str(tenant)
		items := []types.TransactWriteItem{
			{Put: &types.Put{TableName: &s.table, Item: mine, ConditionExpression: ownCondition(old),
				ExpressionAttributeNames: ownNames(old), ExpressionAttributeValues: ownValues(old)}},
			{Put: &types.Put{TableName: &s.table, Item: hook, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		}
		if old != "" {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(hookPK(old), hookSK)}})
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return &integration.Listener{CreatedAt: now}, nil
		}
		if !isConditionFailure(err) {
			return nil, fmt.Errorf("put listener: %w", err)
		}
	}
	return nil, fmt.Errorf("put listener: %w", integration.ErrConflict)
}

// ownCondition and ownValues make a write to the tenant's listener item
// conditional on the hash read (none: no item).
func ownCondition(old string) *string {
	if old == "" {
		return aws.String("attribute_not_exists(PK)")
	}
	return aws.String("#hash = :old")
}

func ownNames(old string) map[string]string {
	if old == "" {
		return nil
	}
	return map[string]string{"#hash": "hash"}
}

func ownValues(old string) map[string]types.AttributeValue {
	if old == "" {
		return nil
	}
	return map[string]types.AttributeValue{":old": str(old)}
}

// DeleteListener revokes the tenant's listener: its URL stops working.
// integration.ErrNotFound when there is none.
func (s *Store) DeleteListener(ctx context.Context, tenant string) error {
	for range listenerRetries {
		old, err := s.listenerHash(ctx, tenant)
		if err != nil {
			return err
		}
		if old == "" {
			return fmt.Errorf("delete listener: %w", integration.ErrNotFound)
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Delete: &types.Delete{TableName: &s.table, Key: key(tenantPK(tenant), listenerSK),
				ConditionExpression: ownCondition(old), ExpressionAttributeNames: ownNames(old),
				ExpressionAttributeValues: ownValues(old)}},
			{Delete: &types.Delete{TableName: &s.table, Key: key(hookPK(old), hookSK)}},
		}})
		if err == nil {
			return nil
		}
		if !isConditionFailure(err) {
			return fmt.Errorf("delete listener: %w", err)
		}
	}
	return fmt.Errorf("delete listener: %w", integration.ErrConflict)
}

// GetListener reads the tenant's listener, or integration.ErrNotFound.
func (s *Store) GetListener(ctx context.Context, tenant string) (*integration.Listener, error) {
	item, err := s.get(ctx, tenantPK(tenant), listenerSK)
	if err != nil {
		return nil, fmt.Errorf("get listener: %w", err)
	}
	if err := checkFormat("listener of "+tenant, item, listenerFormat); err != nil {
		return nil, err
	}
	created, err := parseTime(text(item, "createdAt"))
	if err != nil {
		return nil, fmt.Errorf("get listener: createdAt: %w", err)
	}
	return &integration.Listener{CreatedAt: created}, nil
}

// listenerHash is the tenant's listener hash, "" when it has none.
func (s *Store) listenerHash(ctx context.Context, tenant string) (string, error) {
	item, err := s.get(ctx, tenantPK(tenant), listenerSK)
	if errors.Is(err, integration.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read listener: %w", err)
	}
	return text(item, "hash"), nil
}

// ListenerTenant is the tenant whose listener secret hashes to hash, or
// integration.ErrNotFound.
func (s *Store) ListenerTenant(ctx context.Context, hash string) (string, error) {
	item, err := s.get(ctx, hookPK(hash), hookSK)
	if err != nil {
		return "", fmt.Errorf("listener tenant: %w", err)
	}
	if err := checkFormat("listener lookup", item, listenerFormat); err != nil {
		return "", err
	}
	tenant := text(item, "tenantId")
	if !integration.ValidTenantID(tenant) {
		return "", fmt.Errorf("listener tenant: the lookup names no valid tenant")
	}
	return tenant, nil
}

// The employees a change run's notifications named are one item per run
// (T#<tenant>#CHANGES / <run id>: a string set of ids, and "all" once they
// named more than a run reads one by one), in a partition of their own so
// nothing that reads the tenant's items meets them. A set makes a repeated
// notification a no-op; TTL removes the item a day after its window.

const (
	changeNoteFormat = 1
	changeNoteTTL    = 24 * time.Hour
)

func changesPK(tenant string) string { return "T#" + tenant + "#CHANGES" }

// NoteChange records that a notification for the change run runID named
// employeeID: one of at most integration.MaxTargetedReads ids, beyond
// which the run is marked to read everyone.
func (s *Store) NoteChange(ctx context.Context, tenant, runID, employeeID string) error {
	in := &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      key(changesPK(tenant), runID),
		UpdateExpression:         aws.String("ADD ids :ids SET #fmt = :fmt, purgeAt = :purge"),
		ConditionExpression:      aws.String("attribute_not_exists(ids) OR size(ids) < :max OR contains(ids, :id)"),
		ExpressionAttributeNames: map[string]string{"#fmt": formatAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":ids": &types.AttributeValueMemberSS{Value: []string{employeeID}}, ":id": str(employeeID),
			":max": num(integration.MaxTargetedReads), ":fmt": num(changeNoteFormat),
			":purge": num(s.now().Add(changeNoteTTL).Unix()),
		},
	}
	_, err := s.db.UpdateItem(ctx, in)
	if conditionFailed(err) {
		in.UpdateExpression, in.ConditionExpression = aws.String("SET #all = :all, #fmt = :fmt, purgeAt = :purge"), nil
		in.ExpressionAttributeNames["#all"] = "all"
		delete(in.ExpressionAttributeValues, ":ids")
		delete(in.ExpressionAttributeValues, ":id")
		delete(in.ExpressionAttributeValues, ":max")
		in.ExpressionAttributeValues[":all"] = &types.AttributeValueMemberBOOL{Value: true}
		_, err = s.db.UpdateItem(ctx, in)
	}
	if err != nil {
		return fmt.Errorf("note a change: %w", err)
	}
	return nil
}

// ChangedEmployees reads the employees the change run runID's
// notifications named, sorted; none when nothing was noted.
func (s *Store) ChangedEmployees(ctx context.Context, tenant, runID string) (integration.ChangedEmployees, error) {
	item, err := s.get(ctx, changesPK(tenant), runID)
	if errors.Is(err, integration.ErrNotFound) {
		return integration.ChangedEmployees{}, nil
	}
	if err != nil {
		return integration.ChangedEmployees{}, fmt.Errorf("read the changed employees: %w", err)
	}
	if err := checkFormat("changed employees of "+runID, item, changeNoteFormat); err != nil {
		return integration.ChangedEmployees{}, err
	}
	var out integration.ChangedEmployees
	if ss, ok := item["ids"].(*types.AttributeValueMemberSS); ok {
		out.IDs = slices.Sorted(slices.Values(ss.Value))
	}
	if b, ok := item["all"].(*types.AttributeValueMemberBOOL); ok {
		out.All = b.Value
	}
	return out, nil
}
