package dynamo

import (
	"context"
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
	expires := s.now().Add(heldPlanTTL).Unix()
	reqs := make([]types.WriteRequest, 0, len(changes))
	for i := range changes {
		item := heldChangeItem(tenant, runID, i, &changes[i], expires)
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
		c, err := decodeHeldChange(item)
		if err != nil {
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

// heldChangeFormat is the held change item's newest format version.
// Format 0 is the shape held plans were kept in before formats were
// versioned: see decodeHeldChangeV0.
const heldChangeFormat = 1

// heldChangeItem encodes the nth change of a held plan. Its members' values
// are kept by field name and the fields it changes as names, so adding,
// removing or reordering engine.Field cannot shift a kept plan's values.
func heldChangeItem(tenant, runID string, n int, c *engine.Change, expires int64) map[string]types.AttributeValue {
	item := key(planPK(tenant, runID), fmt.Sprintf("C#%07d", n))
	item[formatAttr] = num(heldChangeFormat)
	item["purgeAt"] = num(expires)
	item["kind"] = str(string(c.Kind))
	item["row"] = num(int64(c.Row))
	if c.Before != nil {
		item["before"] = heldMember(c.Before)
	}
	item["after"] = heldMember(&c.After)
	if len(c.Fields) > 0 {
		names := make([]types.AttributeValue, len(c.Fields))
		for i, f := range c.Fields {
			names[i] = str(f.String())
		}
		item["fields"] = &types.AttributeValueMemberL{Value: names}
	}
	return item
}

// heldMember is a member inside a held change: its values in a map of
// their own, so no field name can meet a bookkeeping attribute's.
func heldMember(m *engine.Member) types.AttributeValue {
	values := make(map[string]types.AttributeValue, engine.NumFields)
	putValues(values, &m.Values)
	a := map[string]types.AttributeValue{"values": &types.AttributeValueMemberM{Value: values}}
	putState(a, m)
	putBookkeeping(a, m)
	return &types.AttributeValueMemberM{Value: a}
}

func decodeHeldChange(item map[string]types.AttributeValue) (engine.Change, error) {
	what := "held change " + text(item, "SK")
	v, err := formatOf(what, item, 0)
	if err != nil {
		return engine.Change{}, err
	}
	var c engine.Change
	switch v {
	case 0:
		c, err = decodeHeldChangeV0(item)
	case heldChangeFormat:
		c, err = decodeHeldChangeV1(item)
	default:
		return engine.Change{}, unknownFormat(what, v, heldChangeFormat)
	}
	if err != nil {
		return engine.Change{}, fmt.Errorf("%s (format %d): %w", what, v, err)
	}
	return c, nil
}

func decodeHeldChangeV1(item map[string]types.AttributeValue) (engine.Change, error) {
	row, err := intAttr(item, "row")
	if err != nil {
		return engine.Change{}, err
	}
	c := engine.Change{Kind: engine.Kind(text(item, "kind")), Row: int(row)}
	if av, ok := item["before"]; ok {
		before, err := decodeHeldMember(av)
		if err != nil {
			return engine.Change{}, fmt.Errorf("before: %w", err)
		}
		c.Before = &before
	}
	if c.After, err = decodeHeldMember(item["after"]); err != nil {
		return engine.Change{}, fmt.Errorf("after: %w", err)
	}
	if av, ok := item["fields"]; ok {
		l, ok := av.(*types.AttributeValueMemberL)
		if !ok {
			return engine.Change{}, fmt.Errorf("fields is not a list")
		}
		c.Fields = make([]engine.Field, len(l.Value))
		for i, v := range l.Value {
			name, _ := v.(*types.AttributeValueMemberS)
			if name == nil {
				return engine.Change{}, fmt.Errorf("fields: entry %d is not a name", i)
			}
			if c.Fields[i], err = fieldNamed(name.Value); err != nil {
				return engine.Change{}, fmt.Errorf("fields: %w", err)
			}
		}
	}
	return c, nil
}

func decodeHeldMember(av types.AttributeValue) (engine.Member, error) {
	var m engine.Member
	a, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return m, fmt.Errorf("member is missing or not a map")
	}
	if values, ok := a.Value["values"].(*types.AttributeValueMemberM); ok {
		var vals [engine.NumFields]string
		for name, v := range values.Value {
			f, err := fieldNamed(name)
			if err != nil {
				return m, err
			}
			s, ok := v.(*types.AttributeValueMemberS)
			if !ok {
				return m, fmt.Errorf("field %q is not text", name)
			}
			vals[f] = s.Value
		}
		m.Values = engine.Pack(vals)
	}
	return m, decodeMemberState(a.Value, &m)
}

// fieldNamed refuses a name this build has no field for: dropping its
// value would make an approval apply less than the admin was shown.
func fieldNamed(name string) (engine.Field, error) {
	f, ok := engine.FieldByName(name)
	if !ok {
		return 0, fmt.Errorf("unknown member field %q", name)
	}
	return f, nil
}
