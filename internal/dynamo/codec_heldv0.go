package dynamo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// Format 0 is how held changes were stored before formats were versioned:
// the default JSON of engine.Change in a binary "change" attribute. Values
// were a positional array and Fields base64 bytes, both indexed by
// engine.Field as it was then. Held plans expire after heldPlanTTL, so this
// can go 30 days after format 1 was first deployed; until then, approving
// a plan held before must still apply what the admin was shown.

// v0Fields is engine.Field's order when format 0 was written: the meaning
// of format 0's positions, frozen whatever engine.Field becomes.
var v0Fields = [...]string{
	"employeeId", "email", "firstName", "lastName", "preferredName", "title",
	"jobTitle", "department", "location", "company", "startDate", "dateOfBirth",
	"mobile", "managerEmployeeId", "payrollId",
	"custom1", "custom2", "custom3", "custom4", "custom5",
}

// heldChangeV0 and heldMemberV0 are engine.Change and engine.Member as
// they were when format 0 was written (PurgeAt came last, so the older
// bodies lack it).
type heldChangeV0 struct {
	Kind   string
	Row    int
	Before *heldMemberV0
	After  heldMemberV0
	Fields []byte
}

type heldMemberV0 struct {
	Values     []string
	Status     string
	LeftOn     string
	PurgeOn    string
	PurgeAt    time.Time
	Welcome    string
	Accepted   bool
	Version    int64
	LastRunID  string
	LastChange string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func decodeHeldChangeV0(item map[string]types.AttributeValue) (engine.Change, error) {
	body, ok := item["change"].(*types.AttributeValueMemberB)
	if !ok {
		return engine.Change{}, fmt.Errorf("no format version and no format 0 body")
	}
	dec := json.NewDecoder(bytes.NewReader(body.Value))
	// A key format 0 never had means the body is not format 0.
	dec.DisallowUnknownFields()
	var old heldChangeV0
	if err := dec.Decode(&old); err != nil {
		return engine.Change{}, fmt.Errorf("decode body: %w", err)
	}
	c := engine.Change{Kind: engine.Kind(old.Kind), Row: old.Row}
	var err error
	if old.Before != nil {
		before, err := old.Before.member()
		if err != nil {
			return engine.Change{}, fmt.Errorf("before: %w", err)
		}
		c.Before = &before
	}
	if c.After, err = old.After.member(); err != nil {
		return engine.Change{}, fmt.Errorf("after: %w", err)
	}
	if old.Fields != nil {
		c.Fields = make([]engine.Field, len(old.Fields))
		for i, pos := range old.Fields {
			if c.Fields[i], err = v0Field(int(pos)); err != nil {
				return engine.Change{}, fmt.Errorf("fields: %w", err)
			}
		}
	}
	return c, nil
}

func (old *heldMemberV0) member() (engine.Member, error) {
	m := engine.Member{
		Status: engine.Status(old.Status), LeftOn: old.LeftOn, PurgeOn: old.PurgeOn, PurgeAt: old.PurgeAt.UTC(),
		Welcome: engine.Welcome(old.Welcome), Accepted: old.Accepted, Version: old.Version,
		LastRunID: old.LastRunID, LastChange: engine.Kind(old.LastChange),
		CreatedAt: old.CreatedAt.UTC(), UpdatedAt: old.UpdatedAt.UTC(),
	}
	if len(old.Values) != len(v0Fields) {
		return m, fmt.Errorf("%d values, format 0 has %d", len(old.Values), len(v0Fields))
	}
	var vals [engine.NumFields]string
	for pos, v := range old.Values {
		if v == "" {
			continue
		}
		f, err := v0Field(pos)
		if err != nil {
			return m, err
		}
		vals[f] = v
	}
	m.Values = engine.Pack(vals)
	return m, nil
}

// v0Field is the field at a format 0 position, by its name.
func v0Field(pos int) (engine.Field, error) {
	if pos >= len(v0Fields) {
		return 0, fmt.Errorf("field position %d, format 0 has %d", pos, len(v0Fields))
	}
	return fieldNamed(v0Fields[pos])
}
