package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/engine"
)

func memberPK(tenant string) string { return "T#" + tenant + "#M" }
func memberSK(id string) string     { return "E#" + id }

func emailKey(tenant, email string) map[string]types.AttributeValue {
	return key("T#"+tenant+"#EMAIL#"+email, "EMAIL")
}

// memberAttrs are a member's stored attributes other than its key and
// bookkeeping (version, times): the ones a plan changes. Blank values are
// absent, so clearing a field removes the attribute.
func memberAttrs(m *engine.Member) map[string]types.AttributeValue {
	a := make(map[string]types.AttributeValue, engine.NumFields+6)
	for f := range engine.NumFields {
		if v := m.Values[f]; v != "" {
			a[f.String()] = str(v)
		}
	}
	a["status"] = str(string(m.Status))
	a["welcome"] = str(string(m.Welcome))
	if m.Accepted {
		a["accepted"] = &types.AttributeValueMemberBOOL{Value: true}
	}
	if m.LeftOn != "" {
		a["leftOn"] = str(m.LeftOn)
	}
	if m.PurgeOn != "" {
		a["purgeOn"] = str(m.PurgeOn)
	}
	if !m.PurgeAt.IsZero() {
		// DynamoDB's TTL deletes the leaver's item then.
		a["purgeAt"] = num(m.PurgeAt.Unix())
	}
	return a
}

func memberItem(tenant, runID string, m *engine.Member, now time.Time) map[string]types.AttributeValue {
	item := memberAttrs(m)
	item["PK"], item["SK"] = str(memberPK(tenant)), str(memberSK(m.EmployeeID()))
	item["version"] = num(1)
	item["lastRunId"], item["lastChange"] = str(runID), str(string(engine.KindCreate))
	item["createdAt"] = str(formatTime(now))
	item["updatedAt"] = str(formatTime(now))
	return item
}

func decodeMember(item map[string]types.AttributeValue) (engine.Member, error) {
	var m engine.Member
	s := func(name string) string {
		if v, ok := item[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	for f := range engine.NumFields {
		m.Values[f] = s(f.String())
	}
	m.Status, m.Welcome = engine.Status(s("status")), engine.Welcome(s("welcome"))
	m.LeftOn, m.PurgeOn = s("leftOn"), s("purgeOn")
	m.LastRunID, m.LastChange = s("lastRunId"), engine.Kind(s("lastChange"))
	if b, ok := item["accepted"].(*types.AttributeValueMemberBOOL); ok {
		m.Accepted = b.Value
	}
	var err error
	if m.Version, err = intAttr(item, "version"); err != nil {
		return m, err
	}
	if at, err := intAttr(item, "purgeAt"); err != nil {
		return m, err
	} else if at != 0 {
		m.PurgeAt = time.Unix(at, 0).UTC()
	}
	if m.CreatedAt, err = parseTime(s("createdAt")); err != nil {
		return m, err
	}
	if m.UpdatedAt, err = parseTime(s("updatedAt")); err != nil {
		return m, err
	}
	if m.EmployeeID() == "" {
		return m, fmt.Errorf("member item %s has no employeeId", s("SK"))
	}
	return m, nil
}

// Members reads all of a tenant's members, page by page.
func (s *Store) Members(ctx context.Context, tenant string) ([]engine.Member, error) {
	var out []engine.Member
	err := s.queryAll(ctx, memberPK(tenant), func(item map[string]types.AttributeValue) error {
		m, err := decodeMember(item)
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load members: %w", err)
	}
	return out, nil
}

// GetMember reads one member, or integration.ErrNotFound.
func (s *Store) GetMember(ctx context.Context, tenant, employeeID string) (engine.Member, error) {
	item, err := s.get(ctx, memberPK(tenant), memberSK(employeeID))
	if err != nil {
		return engine.Member{}, fmt.Errorf("get member: %w", err)
	}
	m, err := decodeMember(item)
	if err != nil {
		return engine.Member{}, fmt.Errorf("decode member: %w", err)
	}
	return m, nil
}

// memberUpdate writes only what differs between the change's before and
// after, on condition that the stored version is still before's.
func (s *Store) memberUpdate(tenant, runID string, c *engine.Change, now time.Time) *types.Update {
	before := c.Before
	old, neu := memberAttrs(before), memberAttrs(&c.After)
	names := map[string]string{"#version": "version", "#updatedAt": "updatedAt", "#run": "lastRunId", "#change": "lastChange"}
	values := map[string]types.AttributeValue{
		":v": num(before.Version), ":next": num(before.Version + 1), ":now": str(formatTime(now)),
		":run": str(runID), ":change": str(string(c.Kind)),
	}
	sets := []string{"#version = :next", "#updatedAt = :now", "#run = :run", "#change = :change"}
	var removes []string
	i := 0
	for name, v := range neu {
		if sameAttr(old[name], v) {
			continue
		}
		i++
		n, p := fmt.Sprintf("#a%d", i), fmt.Sprintf(":a%d", i)
		names[n], values[p] = name, v
		sets = append(sets, n+" = "+p)
	}
	for name := range old {
		if _, kept := neu[name]; !kept {
			i++
			n := fmt.Sprintf("#a%d", i)
			names[n] = name
			removes = append(removes, n)
		}
	}
	expr := "SET " + strings.Join(sets, ", ")
	if len(removes) > 0 {
		expr += " REMOVE " + strings.Join(removes, ", ")
	}
	return &types.Update{
		TableName:                 &s.table,
		Key:                       key(memberPK(tenant), memberSK(before.EmployeeID())),
		UpdateExpression:          &expr,
		ConditionExpression:       strPtr("#version = :v"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
}

func sameAttr(a, b types.AttributeValue) bool {
	switch x := a.(type) {
	case *types.AttributeValueMemberS:
		y, ok := b.(*types.AttributeValueMemberS)
		return ok && x.Value == y.Value
	case *types.AttributeValueMemberN:
		y, ok := b.(*types.AttributeValueMemberN)
		return ok && x.Value == y.Value
	case *types.AttributeValueMemberBOOL:
		y, ok := b.(*types.AttributeValueMemberBOOL)
		return ok && x.Value == y.Value
	}
	return false
}

func strPtr(s string) *string { return &s }

// intAttr reads a number attribute; absent is 0.
func intAttr(item map[string]types.AttributeValue, name string) (int64, error) {
	n, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", name, n.Value, err)
	}
	return v, nil
}

// ListMembers reads a page of a tenant's members in employee id order,
// optionally only those with status. See ListRuns for cursors.
func (s *Store) ListMembers(ctx context.Context, tenant string, status engine.Status, cursor string, limit int) ([]engine.Member, string, error) {
	var out []engine.Member
	next, err := s.page(ctx, memberPK(tenant), memberSK(""), string(status), cursor, limit, true, func(item map[string]types.AttributeValue) error {
		m, err := decodeMember(item)
		if err == nil {
			out = append(out, m)
		}
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list members: %w", err)
	}
	return out, next, nil
}
