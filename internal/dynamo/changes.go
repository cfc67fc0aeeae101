package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// The change index (GSI2) orders a tenant's members by when each was last
// written: its partition is the tenant's, its sort key the write's time
// then the employee id, so a member is in it once, at its latest write,
// and a page of changes since a point reads only that page. Items written
// before format 2 are not in it until their next write: a mirror starts
// with a listing of the member partition itself (ChangedMembers).
const (
	changeIndex  = "GSI2"
	changePKAttr = "GSI2PK"
	changeSKAttr = "GSI2SK"
)

// changeLayout is a write's time in the index: fixed width, so text order
// is time order (RFC 3339 drops trailing zeros, and "…05Z" sorts after
// "…05.5Z").
const changeLayout = "2006-01-02T15:04:05.000000000Z"

// changeLag is how far behind the reader's clock a page of changes stops.
// A write is stamped when it is sent and lands, and reaches the index, a
// little later; a writer's clock may be a little off the reader's. A page
// that went up to the reader's now could pass a change stamped earlier
// than its last one that the index did not show yet, and the cursor would
// then be past it for good. Requests retried by the SDK and the index's
// propagation (normally well under a second) fit in a minute with room to
// spare; a change is on a page a minute after it is written, which a
// reconciliation can wait.
const changeLag = time.Minute

func changePK(tenant string) string { return "T#" + tenant + "#CHG" }

// changePosition is a point in the index: before every change at or after
// at, after every change before it (a key is the position, '#', the id).
func changePosition(at time.Time) string { return at.UTC().Format(changeLayout) }

func changeKey(at time.Time, employeeID string) string {
	return changePosition(at) + "#" + employeeID
}

// setChangeKeys adds to an update of a member the assignments every member
// write makes: the change index's keys, as of at, and the format they
// belong to (memberFormat).
func setChangeKeys(names map[string]string, values map[string]types.AttributeValue, tenant, employeeID string, at time.Time) string {
	names["#fmt"], names["#chgPK"], names["#chgSK"] = formatAttr, changePKAttr, changeSKAttr
	values[":fmt"], values[":chgPK"], values[":chgSK"] = num(memberFormat), str(changePK(tenant)), str(changeKey(at, employeeID))
	return "#fmt = :fmt, #chgPK = :chgPK, #chgSK = :chgSK"
}

// stampChanges dates the member writes among items at the moment they are
// sent. Apply builds every write of a plan before it sends the first, and
// a large plan takes minutes: stamped with the plan's start, a write sent
// late would sort before changes a reader had already paged past.
func stampChanges(items []types.TransactWriteItem, at time.Time) {
	for _, it := range items {
		switch {
		case it.Put != nil:
			stampItem(it.Put.Item, at)
		case it.Update != nil:
			if _, ok := it.Update.ExpressionAttributeValues[":chgSK"]; ok {
				id := strings.TrimPrefix(text(it.Update.Key, "SK"), memberSK(""))
				it.Update.ExpressionAttributeValues[":chgSK"] = str(changeKey(at, id))
			}
		}
	}
}

// stampItem dates a member item at; other items have no change key.
func stampItem(item map[string]types.AttributeValue, at time.Time) {
	if _, ok := item[changeSKAttr]; ok {
		item[changeSKAttr] = str(changeKey(at, text(item, "employeeId")))
	}
}

// changeCursor is where a reader of changes is. Either it is listing the
// member partition (Listed, the listing's own cursor, and Started, when its
// first page was read) or it is reading the change index after a position
// (After: a change key, or a bare position). The zero cursor is the start
// of a listing. Encoded, it is base64url of its JSON: opaque to callers.
type changeCursor struct {
	Started time.Time `json:"started,omitzero"`
	Listed  string    `json:"listed,omitempty"`
	After   string    `json:"after,omitempty"`
}

// maxChangeCursor bounds an encoded cursor: one for the longest sort key
// the listing's own cursor takes (200 bytes) is under 450 characters.
const maxChangeCursor = 1024

func (c changeCursor) encode() string { return integration.EncodeCursor(c) }

// decodeChangeCursor reads a cursor ChangedMembers gave, or refuses it
// with integration.ErrBadCursor.
func decodeChangeCursor(s string) (changeCursor, error) {
	var c changeCursor
	if s == "" {
		return c, nil
	}
	if err := integration.DecodeCursor(s, maxChangeCursor, &c); err != nil {
		return c, err
	}
	listing := c.Listed != "" && !c.Started.IsZero() && c.After == ""
	reading := c.After != "" && c.Listed == "" && c.Started.IsZero() && validPosition(c.After)
	if !listing && !reading {
		return c, integration.ErrBadCursor
	}
	return c, nil
}

// validPosition reports whether p is a change key or a bare position.
func validPosition(p string) bool {
	at, id, keyed := strings.Cut(p, "#")
	if _, err := time.Parse(changeLayout, at); err != nil || len(at) != len(changeLayout) {
		return false
	}
	return utf8.ValidString(id) && (!keyed || id != "")
}

// ChangedMembers reads a page of a tenant's members changed after cursor,
// leavers included, and the cursor to read on from; "" is the start. The
// next cursor is always given: read with it later and the page holds what
// changed since (often nothing, with the same cursor back). A member may
// come twice (on a later page each time it changes, and once more across
// the listing's end), never be skipped: callers key on the employee id.
//
// From the start, it lists the member partition in employee id order, as
// ListMembers does, so members written before the change index existed
// are there too. When the listing ends the cursor moves to the index, at
// the listing's start less changeLag: a change the listing missed, made
// while it ran, is in the index after that point.
//
// In the index, a page holds changes in the order written, up to
// changeLag before now (see changeLag). The index is read eventually
// consistently (a GSI has no other read): a change not yet in it shows on
// a later page, as long as the index lags by less than changeLag.
func (s *Store) ChangedMembers(ctx context.Context, tenant, cursor string, limit int) ([]engine.Member, string, error) {
	c, err := decodeChangeCursor(cursor)
	if err != nil {
		return nil, "", fmt.Errorf("changed members: %w", err)
	}
	var members []engine.Member
	var next changeCursor
	if c.After == "" {
		members, next, err = s.listChanged(ctx, tenant, c, limit)
	} else {
		members, next, err = s.changesAfter(ctx, tenant, c.After, limit)
	}
	if err != nil {
		return nil, "", fmt.Errorf("changed members: %w", err)
	}
	return members, next.encode(), nil
}

// listChanged reads a page of the listing that starts a mirror.
func (s *Store) listChanged(ctx context.Context, tenant string, c changeCursor, limit int) ([]engine.Member, changeCursor, error) {
	if c.Started.IsZero() {
		c.Started = s.now().UTC()
	}
	members, next, err := s.ListMembers(ctx, tenant, "", c.Listed, limit)
	if err != nil {
		return nil, c, err
	}
	if next == "" {
		return members, changeCursor{After: changePosition(c.Started.Add(-changeLag))}, nil
	}
	return members, changeCursor{Started: c.Started, Listed: next}, nil
}

// changesAfter reads a page of the change index after position.
func (s *Store) changesAfter(ctx context.Context, tenant, after string, limit int) ([]engine.Member, changeCursor, error) {
	next := changeCursor{After: after}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(changeIndex),
		KeyConditionExpression: aws.String("#pk = :pk AND #sk > :after"),
		ExpressionAttributeNames: map[string]string{
			"#pk": changePKAttr, "#sk": changeSKAttr,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(changePK(tenant)), ":after": str(after)},
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, next, err
	}
	// Sorted, so the page ends at the first change too recent to show;
	// those after it are read again next time.
	horizon := changePosition(s.now().Add(-changeLag))
	var members []engine.Member
	for _, item := range out.Items {
		k := text(item, changeSKAttr)
		if k >= horizon {
			break
		}
		m, err := decodeMember(item)
		if err != nil {
			return nil, next, err
		}
		members, next.After = append(members, m), k
	}
	return members, next, nil
}
