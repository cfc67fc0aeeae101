package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

const integrationSK = "INTEGRATION"

func tenantPK(tenant string) string { return "T#" + tenant }

// integrationFormat is the integration item's format version. Format 2
// added settings.inviteReminders; format 1 items were written before
// reminders existed and read as reminders on, the default they came with.
const integrationFormat = 2

type integrationItem struct {
	PK            string       `json:"PK"`
	SK            string       `json:"SK"`
	Format        int64        `json:"fmt"`
	TenantID      string       `json:"tenantId"`
	ProgrammeName string       `json:"programmeName"`
	AdminEmail    string       `json:"adminEmail"`
	Settings      settingsItem `json:"settings"`
	Mapping       mappingItem  `json:"mapping"`
	Key           *keyItem     `json:"key,omitempty"`
	Published     bool         `json:"published"`
	State         string       `json:"state"`
	NextRunAt     string       `json:"nextRunAt,omitempty"`
	// GSI1PK/GSI1SK put a scheduled integration in the sparse due index:
	// absent when not scheduled, so the scheduler never reads those.
	GSI1PK           string `json:"GSI1PK,omitempty"`
	GSI1SK           string `json:"GSI1SK,omitempty"`
	InvalidKeyStreak int    `json:"invalidKeyStreak,omitempty"`
	ReauthNotice     string `json:"reauthNotice,omitempty"`
	Version          int64  `json:"version"`
	UpdatedAt        string `json:"updatedAt"`
}

// settingsItem is integration.Settings as stored. The scheduler reads it
// from the due index, which projects it whole.
type settingsItem struct {
	Frequency                  string          `json:"frequency"`
	TimeOfDay                  string          `json:"timeOfDay"`
	Weekday                    string          `json:"weekday,omitempty"`
	TimeZone                   string          `json:"timeZone"`
	DateFormat                 string          `json:"dateFormat"`
	WelcomeEmail               bool            `json:"welcomeEmail"`
	SummaryRecipients          []string        `json:"summaryRecipients"`
	CloseMissingMembers        bool            `json:"closeMissingMembers"`
	MassChangeThresholdPercent int             `json:"massChangeThresholdPercent"`
	EmailWhenNothingChanged    bool            `json:"emailWhenNothingChanged"`
	Scope                      []scopeRuleItem `json:"scope"`
	WelcomeTiming              string          `json:"welcomeTiming"`
	// InviteReminders is absent in format 1 (and in the due index, which
	// carries no format): absent is on.
	InviteReminders *bool `json:"inviteReminders,omitempty"`
}

// scopeRuleItem is engine.ScopeRule as stored; the two convert into each
// other, so a new member there does not compile here until it has a stored
// name.
type scopeRuleItem struct {
	Source string         `json:"source"`
	Op     engine.ScopeOp `json:"op"`
	Values []string       `json:"values"`
}

type keyItem struct {
	Ciphertext []byte `json:"ciphertext"`
	Last4      string `json:"last4"`
	AddedAt    string `json:"addedAt"`
}

type mappingItem struct {
	UniqueKey string            `json:"uniqueKey"`
	Fields    map[string]string `json:"fields"`
}

func toSettingsItem(s *integration.Settings) settingsItem {
	return settingsItem{
		Frequency: s.Frequency, TimeOfDay: s.TimeOfDay, Weekday: s.Weekday, TimeZone: s.TimeZone,
		DateFormat: s.DateFormat, WelcomeEmail: s.WelcomeEmail, SummaryRecipients: s.SummaryRecipients,
		CloseMissingMembers: s.CloseMissingMembers, MassChangeThresholdPercent: s.MassChangeThresholdPercent,
		EmailWhenNothingChanged: s.EmailWhenNothingChanged, WelcomeTiming: s.WelcomeTiming,
		Scope:           mapSlice(s.Scope, func(r engine.ScopeRule) scopeRuleItem { return scopeRuleItem(r) }),
		InviteReminders: &s.InviteReminders,
	}
}

func (it *settingsItem) settings() integration.Settings {
	return integration.Settings{
		Frequency: it.Frequency, TimeOfDay: it.TimeOfDay, Weekday: it.Weekday, TimeZone: it.TimeZone,
		DateFormat: it.DateFormat, WelcomeEmail: it.WelcomeEmail, SummaryRecipients: it.SummaryRecipients,
		CloseMissingMembers: it.CloseMissingMembers, MassChangeThresholdPercent: it.MassChangeThresholdPercent,
		EmailWhenNothingChanged: it.EmailWhenNothingChanged, WelcomeTiming: it.WelcomeTiming,
		Scope:           mapSlice(it.Scope, func(r scopeRuleItem) engine.ScopeRule { return engine.ScopeRule(r) }),
		InviteReminders: it.InviteReminders == nil || *it.InviteReminders,
	}
}

// GetIntegration reads a tenant's integration, or integration.ErrNotFound.
func (s *Store) GetIntegration(ctx context.Context, tenant string) (*integration.Integration, error) {
	item, err := s.get(ctx, tenantPK(tenant), integrationSK)
	if err != nil {
		return nil, fmt.Errorf("get integration: %w", err)
	}
	return decodeIntegration(item)
}

func encodeIntegration(in *integration.Integration) (map[string]types.AttributeValue, error) {
	it := integrationItem{
		PK: tenantPK(in.TenantID), SK: integrationSK, Format: integrationFormat, TenantID: in.TenantID,
		ProgrammeName: in.ProgrammeName, AdminEmail: in.AdminEmail, Settings: toSettingsItem(&in.Settings),
		Mapping: mappingItem(in.Mapping), Published: in.Published, State: string(in.State),
		InvalidKeyStreak: in.InvalidKeyStreak, ReauthNotice: string(in.ReauthNotice),
		Version: in.Version, UpdatedAt: formatTime(in.UpdatedAt),
	}
	if k := in.Key; k != nil {
		it.Key = &keyItem{Ciphertext: k.Ciphertext, Last4: k.Last4, AddedAt: formatTime(k.AddedAt)}
	}
	if in.Scheduled() {
		it.NextRunAt = formatTime(in.NextRunAt)
		it.GSI1PK, it.GSI1SK = dueBucket(in.TenantID), dueKey(in.DueAt)
	}
	item, err := marshal(it)
	if err != nil {
		return nil, fmt.Errorf("encode integration: %w", err)
	}
	return item, nil
}

func decodeIntegration(item map[string]types.AttributeValue) (*integration.Integration, error) {
	what := "integration " + text(item, "PK")
	if v, err := formatOf(what, item, 1); err != nil {
		return nil, err
	} else if v != 1 && v != integrationFormat {
		return nil, unknownFormat(what, v, integrationFormat)
	}
	var it integrationItem
	if err := unmarshal(item, &it); err != nil {
		return nil, fmt.Errorf("decode integration: %w", err)
	}
	in := &integration.Integration{
		TenantID: it.TenantID, ProgrammeName: it.ProgrammeName, AdminEmail: it.AdminEmail,
		Settings: it.Settings.settings(), Mapping: engine.Mapping(it.Mapping), Published: it.Published,
		State: integration.State(it.State), Version: it.Version,
		InvalidKeyStreak: it.InvalidKeyStreak, ReauthNotice: integration.MailState(it.ReauthNotice),
	}
	times := []timeAttr{{&in.UpdatedAt, it.UpdatedAt}, {&in.NextRunAt, it.NextRunAt}, {&in.DueAt, it.GSI1SK}}
	if k := it.Key; k != nil {
		in.Key = &integration.SealedKey{Ciphertext: k.Ciphertext, Last4: k.Last4}
		times = append(times, timeAttr{&in.Key.AddedAt, k.AddedAt})
	}
	if err := parseTimes(times); err != nil {
		return nil, fmt.Errorf("decode integration: %w", err)
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
	saved := *in
	saved.Version, saved.UpdatedAt = in.Version+1, s.now().UTC()
	item, err := encodeIntegration(&saved)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 &s.table,
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(in.Version)},
		// A retry of a put that landed, its answer lost, finds its own
		// item: not a conflict.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if conditionFailed(err) {
		if old := failedItem(err); !sameWrite(old, item) {
			return fmt.Errorf("put integration: %w", integration.ErrConflict)
		}
		err = nil
	}
	if err != nil {
		return fmt.Errorf("put integration: %w", err)
	}
	in.Version, in.UpdatedAt = saved.Version, saved.UpdatedAt
	return nil
}
