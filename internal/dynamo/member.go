package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/sync"
)

func memberPK(tenant string) string { return "T#" + tenant + "#M" }
func memberSK(id string) string     { return "E#" + id }

func emailKey(tenant, email string) map[string]types.AttributeValue {
	return key("T#"+tenant+"#EMAIL#"+email, "EMAIL")
}

// memberAttrs are a member's stored attributes other than its key and
// bookkeeping (version, times): the ones a plan changes. Blank values are
// absent, so clearing a field removes the attribute.
func memberAttrs(m *sync.Member, loc *time.Location) map[string]types.AttributeValue {
	a := make(map[string]types.AttributeValue, sync.NumFields+6)
	for f := range sync.NumFields {
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
		// DynamoDB's TTL deletes the leaver's item at the start of PurgeOn
		// in the tenant's zone.
		if t, err := time.ParseInLocation(time.DateOnly, m.PurgeOn, loc); err == nil {
			a["purgeAt"] = num(t.Unix())
		}
	}
	return a
}

func memberItem(tenant, runID string, m *sync.Member, loc *time.Location, now time.Time) map[string]types.AttributeValue {
	item := memberAttrs(m, loc)
	item["PK"], item["SK"] = str(memberPK(tenant)), str(memberSK(m.EmployeeID()))
	item["version"] = num(1)
	item["lastRunId"], item["lastChange"] = str(runID), str(string(sync.KindCreate))
	item["createdAt"] = str(formatTime(now))
	item["updatedAt"] = str(formatTime(now))
	return item
}

func decodeMember(item map[string]types.AttributeValue) (sync.Member, error) {
	var m sync.Member
	s := func(name string) string {
		if v, ok := item[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	for f := range sync.NumFields {
		m.Values[f] = s(f.String())
	}
	m.Status, m.Welcome = sync.Status(s("status")), sync.Welcome(s("welcome"))
	m.LeftOn, m.PurgeOn = s("leftOn"), s("purgeOn")
	m.LastRunID, m.LastChange = s("lastRunId"), sync.Kind(s("lastChange"))
	if b, ok := item["accepted"].(*types.AttributeValueMemberBOOL); ok {
		m.Accepted = b.Value
	}
	var err error
	if m.Version, err = intAttr(item, "version"); err != nil {
		return m, err
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
func (s *Store) Members(ctx context.Context, tenant string) ([]sync.Member, error) {
	var out []sync.Member
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
func (s *Store) GetMember(ctx context.Context, tenant, employeeID string) (sync.Member, error) {
	item, err := s.get(ctx, memberPK(tenant), memberSK(employeeID))
	if err != nil {
		return sync.Member{}, fmt.Errorf("get member: %w", err)
	}
	m, err := decodeMember(item)
	if err != nil {
		return sync.Member{}, fmt.Errorf("decode member: %w", err)
	}
	return m, nil
}

// memberUpdate writes only what differs between the change's before and
// after, on condition that the stored version is still before's.
func (s *Store) memberUpdate(tenant, runID string, c *sync.Change, loc *time.Location, now time.Time) *types.Update {
	before := c.Before
	old, neu := memberAttrs(before, loc), memberAttrs(&c.After, loc)
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
func (s *Store) ListMembers(ctx context.Context, tenant string, status sync.Status, cursor string, limit int) ([]sync.Member, string, error) {
	var out []sync.Member
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
