package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// A tenant's audit trail is its own partition, one item an action, sorted
// by the entry's id (which sorts by time) and kept for
// integration.AuditRetention.

func auditPK(tenant string) string { return "T#" + tenant + "#AUDIT" }
func auditSK(id string) string     { return "A#" + id }

const auditFormat = 1

type auditItem struct {
	PK      string `json:"PK"`
	SK      string `json:"SK"`
	Format  int64  `json:"fmt"`
	ID      string `json:"id"`
	At      string `json:"at"`
	Actor   string `json:"actor"`
	Action  string `json:"action"`
	Detail  string `json:"detail"`
	PurgeAt int64  `json:"purgeAt"`
}

func encodeAudit(tenant string, e *integration.AuditEntry) (map[string]types.AttributeValue, error) {
	item, err := marshal(auditItem{
		PK: auditPK(tenant), SK: auditSK(e.ID), Format: auditFormat, ID: e.ID, At: formatTime(e.At),
		Actor: e.Actor, Action: e.Action, Detail: e.Detail, PurgeAt: e.At.Add(integration.AuditRetention).Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode audit entry: %w", err)
	}
	return item, nil
}

func decodeAudit(item map[string]types.AttributeValue) (integration.AuditEntry, error) {
	if err := checkFormat("audit entry "+text(item, "SK"), item, auditFormat); err != nil {
		return integration.AuditEntry{}, err
	}
	var it auditItem
	if err := unmarshal(item, &it); err != nil {
		return integration.AuditEntry{}, fmt.Errorf("decode audit entry: %w", err)
	}
	at, err := parseTime(it.At)
	if err != nil {
		return integration.AuditEntry{}, fmt.Errorf("decode audit entry: at: %w", err)
	}
	return integration.AuditEntry{ID: it.ID, At: at, Actor: it.Actor, Action: it.Action, Detail: it.Detail}, nil
}

// AddAudit records an admin action. Its id is unique, so a put is all it
// takes; a retried request records the action again, as it happened again.
func (s *Store) AddAudit(ctx context.Context, tenant string, e integration.AuditEntry) error {
	item, err := encodeAudit(tenant, &e)
	if err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		return fmt.Errorf("add audit entry: %w", err)
	}
	return nil
}

// AuditTrail reads a tenant's audit trail newest first, a page at a time
// (see ListRuns for cursors).
func (s *Store) AuditTrail(ctx context.Context, tenant, cursor string, limit int) ([]integration.AuditEntry, string, error) {
	var out []integration.AuditEntry
	next, err := s.page(ctx, auditPK(tenant), auditSK(""), "", cursor, limit, false, func(item map[string]types.AttributeValue) error {
		e, err := decodeAudit(item)
		if err == nil {
			out = append(out, e)
		}
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("read audit trail: %w", err)
	}
	return out, next, nil
}
