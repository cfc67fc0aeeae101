package dynamo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/engine"
)

func memberPK(tenant string) string { return "T#" + tenant + "#M" }
func memberSK(id string) string     { return "E#" + id }

const emailSK = "EMAIL"

func emailPK(tenant, email string) string { return "T#" + tenant + "#EMAIL#" + email }

func emailKey(tenant, email string) map[string]types.AttributeValue {
	return key(emailPK(tenant, email), emailSK)
}

// memberFormat is the member item's format version. memberUpdate writes
// only the attributes that changed, so a new format must also make it
// rewrite an item of the old one whole.
//
// Format 2 adds the change index's keys (changes.go); format 1 is the same
// item without them, so it decodes alike, and every member write (create,
// update, redemption) sets them with fmt = 2, which makes a format 1 item
// whole format 2. Only the mailer's welcome transitions leave them be.
// Format 3 adds the search keys (search.go) the same way: every member
// write sets them, with fmt = 3, and a format 1 or 2 item decodes alike.
const memberFormat = 3

// memberFormats are the member formats this build reads.
var memberFormats = []int64{1, 2, memberFormat}

// memberAttrs are a member's stored attributes other than its key and
// bookkeeping (version, times): the ones a plan changes. Blank values are
// absent, so clearing a field removes the attribute.
func memberAttrs(m *engine.Member) map[string]types.AttributeValue {
	a := make(map[string]types.AttributeValue, engine.NumFields+6)
	putValues(a, &m.Values)
	putState(a, m)
	return a
}

// putState writes what a plan changes besides the field values.
func putState(a map[string]types.AttributeValue, m *engine.Member) {
	a["status"] = str(string(m.Status))
	a["welcome"] = str(string(m.Welcome))
	if m.Accepted {
		a["accepted"] = &types.AttributeValueMemberBOOL{Value: true}
	}
	putText(a, "leftOn", m.LeftOn)
	putText(a, "purgeOn", m.PurgeOn)
	if !m.PurgeAt.IsZero() {
		// DynamoDB's TTL deletes the leaver's item then.
		a["purgeAt"] = num(m.PurgeAt.Unix())
	}
}

// putValues writes each non-blank field value under the field's name.
func putValues(a map[string]types.AttributeValue, v *engine.Values) {
	for f := range engine.NumFields {
		putText(a, f.String(), v.Get(f))
	}
}

// putText writes a text attribute unless it is blank: absent reads as "".
func putText(a map[string]types.AttributeValue, name, v string) {
	if v != "" {
		a[name] = str(v)
	}
}

// putBookkeeping writes what the store keeps about a member's writes.
func putBookkeeping(a map[string]types.AttributeValue, m *engine.Member) {
	a["version"] = num(m.Version)
	putText(a, "lastRunId", m.LastRunID)
	putText(a, "lastChange", string(m.LastChange))
	putText(a, "createdAt", formatTime(m.CreatedAt))
	putText(a, "updatedAt", formatTime(m.UpdatedAt))
}

func memberItem(tenant, runID string, m *engine.Member, now time.Time) map[string]types.AttributeValue {
	stored := *m
	stored.Version, stored.LastRunID, stored.LastChange = 1, runID, engine.KindCreate
	stored.CreatedAt, stored.UpdatedAt = now, now
	item := memberAttrs(&stored)
	putBookkeeping(item, &stored)
	item["PK"], item["SK"] = str(memberPK(tenant)), str(memberSK(m.EmployeeID()))
	item[formatAttr] = num(memberFormat)
	item[changePKAttr], item[changeSKAttr] = str(changePK(tenant)), str(changeKey(now, m.EmployeeID()))
	maps.Copy(item, searchAttrs(tenant, m))
	return item
}

func decodeMember(item map[string]types.AttributeValue) (engine.Member, error) {
	var m engine.Member
	what := "member item " + text(item, "SK")
	v, err := formatOf(what, item, 1)
	if err != nil {
		return m, err
	}
	if !slices.Contains(memberFormats, v) {
		return m, unknownFormat(what, v, memberFormat)
	}
	var vals [engine.NumFields]string
	for f := range engine.NumFields {
		vals[f] = text(item, f.String())
	}
	m.Values = engine.Pack(vals)
	if err := decodeMemberState(item, &m); err != nil {
		return m, fmt.Errorf("%s: %w", what, err)
	}
	if m.EmployeeID() == "" {
		return m, fmt.Errorf("%s has no employeeId", what)
	}
	return m, nil
}

// decodeMemberState reads what putState and putBookkeeping write, wherever
// a member is stored.
func decodeMemberState(a map[string]types.AttributeValue, m *engine.Member) error {
	m.Status, m.Welcome = engine.Status(text(a, "status")), engine.Welcome(text(a, "welcome"))
	m.LeftOn, m.PurgeOn = text(a, "leftOn"), text(a, "purgeOn")
	m.LastRunID, m.LastChange = text(a, "lastRunId"), engine.Kind(text(a, "lastChange"))
	if b, ok := a["accepted"].(*types.AttributeValueMemberBOOL); ok {
		m.Accepted = b.Value
	}
	var err error
	if m.Version, err = intAttr(a, "version"); err != nil {
		return err
	}
	if at, err := intAttr(a, "purgeAt"); err != nil {
		return err
	} else if at != 0 {
		m.PurgeAt = time.Unix(at, 0).UTC()
	}
	if m.CreatedAt, err = parseTime(text(a, "createdAt")); err != nil {
		return fmt.Errorf("createdAt: %w", err)
	}
	if m.UpdatedAt, err = parseTime(text(a, "updatedAt")); err != nil {
		return fmt.Errorf("updatedAt: %w", err)
	}
	// Written by RedeemInvite alone, never by a plan.
	if m.JoinedAt, err = parseTime(text(a, "joinedAt")); err != nil {
		return fmt.Errorf("joinedAt: %w", err)
	}
	return decodeInvitations(a, m)
}

// text reads a text attribute; absent is "".
func text(a map[string]types.AttributeValue, name string) string {
	if v, ok := a[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
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
	sets := []string{"#version = :next", "#updatedAt = :now", "#run = :run", "#change = :change",
		setChangeKeys(names, values, tenant, before.EmployeeID(), now)}
	searchSets, removes := setSearchKeys(names, values, tenant, &c.After)
	sets = append(sets, searchSets...)
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
