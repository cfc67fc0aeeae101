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

const integrationSK = "INTEGRATION"

func tenantPK(tenant string) string { return "T#" + tenant }

type integrationItem struct {
	PK            string                 `json:"PK"`
	SK            string                 `json:"SK"`
	TenantID      string                 `json:"tenantId"`
	ProgrammeName string                 `json:"programmeName"`
	AdminEmail    string                 `json:"adminEmail"`
	Settings      integration.Settings   `json:"settings"`
	Mapping       mappingItem            `json:"mapping"`
	Key           *integration.SealedKey `json:"key,omitempty"`
	Published     bool                   `json:"published"`
	State         integration.State      `json:"state"`
	NextRunAt     string                 `json:"nextRunAt,omitempty"`
	// GSI1PK/GSI1SK put a scheduled integration in the sparse due index:
	// absent when not scheduled, so the scheduler never reads those.
	GSI1PK           string                `json:"GSI1PK,omitempty"`
	GSI1SK           string                `json:"GSI1SK,omitempty"`
	InvalidKeyStreak int                   `json:"invalidKeyStreak,omitempty"`
	ReauthNotice     integration.MailState `json:"reauthNotice,omitempty"`
	Version          int64                 `json:"version"`
	UpdatedAt        string                `json:"updatedAt"`
}

type mappingItem struct {
	UniqueKey string            `json:"uniqueKey"`
	Fields    map[string]string `json:"fields"`
}

// GetIntegration reads a tenant's integration, or integration.ErrNotFound.
func (s *Store) GetIntegration(ctx context.Context, tenant string) (*integration.Integration, error) {
	item, err := s.get(ctx, tenantPK(tenant), integrationSK)
	if err != nil {
		return nil, fmt.Errorf("get integration: %w", err)
	}
	var it integrationItem
	if err := unmarshal(item, &it); err != nil {
		return nil, fmt.Errorf("decode integration: %w", err)
	}
	in := &integration.Integration{
		TenantID: it.TenantID, ProgrammeName: it.ProgrammeName, AdminEmail: it.AdminEmail,
		Settings: it.Settings, Key: it.Key, Published: it.Published, State: it.State, Version: it.Version,
		InvalidKeyStreak: it.InvalidKeyStreak, ReauthNotice: it.ReauthNotice,
	}
	in.Mapping.UniqueKey, in.Mapping.Fields = it.Mapping.UniqueKey, it.Mapping.Fields
	for _, t := range []struct {
		dst *time.Time
		src string
	}{{&in.UpdatedAt, it.UpdatedAt}, {&in.NextRunAt, it.NextRunAt}, {&in.DueAt, it.GSI1SK}} {
		if *t.dst, err = parseTime(t.src); err != nil {
			return nil, fmt.Errorf("decode integration: %w", err)
		}
	}
	return in, nil
}

// PutIntegration saves in if nobody saved since in.Version was read (0 for
// a new integration), and advances in.Version. A lost race is
// integration.ErrConflict.
func (s *Store) PutIntegration(ctx context.Context, in *integration.Integration) error {
	if !integration.ValidTenantID(in.TenantID) {
		return fmt.Errorf("put integration: invalid tenant id")
	}
	now := s.now().UTC()
	it := integrationItem{
		PK: tenantPK(in.TenantID), SK: integrationSK, TenantID: in.TenantID,
		ProgrammeName: in.ProgrammeName, AdminEmail: in.AdminEmail, Settings: in.Settings,
		Mapping: mappingItem(in.Mapping), Key: in.Key, Published: in.Published, State: in.State,
		InvalidKeyStreak: in.InvalidKeyStreak, ReauthNotice: in.ReauthNotice,
		Version: in.Version + 1, UpdatedAt: formatTime(now),
	}
	if in.Scheduled() {
		it.NextRunAt = formatTime(in.NextRunAt)
		it.GSI1PK, it.GSI1SK = dueBucket(in.TenantID), dueKey(in.DueAt)
	}
	item, err := marshal(it)
	if err != nil {
		return fmt.Errorf("encode integration: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 &s.table,
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(in.Version)},
	})
	if conditionFailed(err) {
		return fmt.Errorf("put integration: %w", integration.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("put integration: %w", err)
	}
	in.Version, in.UpdatedAt = it.Version, now
	return nil
}
