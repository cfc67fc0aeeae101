package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// The search indexes (GSI3-5) each sort a tenant's members by one search
// key (integration.SearchKey) kept on the member item: surname order,
// given-name order, email. They share one partition attribute, the
// tenant's. Each is sparse (a member without a surname, say, is in none
// but the email one) and projects only what a hit shows
// (integration.SearchHit), so a search reads a few hundred bytes per hit
// and the mailer's writes, which touch none of it, cost them nothing.
// Employee ids need no index: the member partition sorts by them.
//
// Items written before format 3 carry no search keys, so no search finds
// them until their next write, or IndexMembers (the one-off backfill).
const searchPKAttr = "searchPK"

var searchIndexes = map[integration.SearchBy]struct{ index, attr string }{
	integration.BySurname: {surnameIndex, "searchSurname"},
	integration.ByGiven:   {givenIndex, "searchGiven"},
	integration.ByEmail:   {emailIndex, "searchEmail"},
}

const surnameIndex, givenIndex, emailIndex = "GSI3", "GSI4", "GSI5"

func searchPK(tenant string) string { return "T#" + tenant + "#S" }

// searchAttrs are a member's search keys, by attribute: blank keys absent,
// so a cleared name leaves its index.
func searchAttrs(tenant string, m *engine.Member) map[string]types.AttributeValue {
	a := map[string]types.AttributeValue{searchPKAttr: str(searchPK(tenant))}
	for by, ix := range searchIndexes {
		putText(a, ix.attr, integration.SearchKey(by, m))
	}
	return a
}

// setSearchKeys adds to an update of a member, as m, the assignments of
// its search keys every member write makes, and the removals of those m
// has none for. Always, not only when a name changed: so an item of an
// older format gets them on its next write.
func setSearchKeys(names map[string]string, values map[string]types.AttributeValue, tenant string, m *engine.Member) (set []string, remove []string) {
	for attr, v := range searchAttrs(tenant, m) {
		names["#"+attr], values[":"+attr] = attr, v
		set = append(set, "#"+attr+" = :"+attr)
	}
	for _, ix := range searchIndexes {
		if _, ok := names["#"+ix.attr]; !ok {
			names["#"+ix.attr] = ix.attr
			remove = append(remove, "#"+ix.attr)
		}
	}
	slices.Sort(set)
	slices.Sort(remove)
	return set, remove
}

// SearchMembers reads a page of the tenant's members whose surname, given
// name, email or employee id starts with q (integration.ParseSearch), as
// search hits, and the cursor of the next page. integration.ErrBadQuery
// for a query with nothing to search by, integration.ErrBadCursor for a
// cursor of another query. The indexes are read eventually consistently
// (a GSI has no other read): a member written a moment ago may be found a
// moment later.
func (s *Store) SearchMembers(ctx context.Context, tenant, q, cursor string, limit int) ([]engine.Member, string, error) {
	search, cur, err := integration.StartSearch(q, cursor)
	if err != nil {
		return nil, "", fmt.Errorf("search members: %w", err)
	}
	hits, next, err := search.Page(cur, limit, func(src integration.SearchSource, after string, n int) ([]engine.Member, bool, error) {
		return s.searchRead(ctx, tenant, src, after, n)
	})
	if err != nil {
		return nil, "", fmt.Errorf("search members: %w", err)
	}
	return hits, next, nil
}

// searchRead is one query of a search source: an index's, or the member
// partition's for employee ids.
func (s *Store) searchRead(ctx context.Context, tenant string, src integration.SearchSource, after string, n int) ([]engine.Member, bool, error) {
	in := &dynamodb.QueryInput{
		TableName:                &s.table,
		KeyConditionExpression:   aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		Limit:                    aws.Int32(int32(n)),
		ExpressionAttributeNames: map[string]string{"#pk": "PK", "#sk": "SK"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(memberPK(tenant)), ":prefix": str(memberSK(src.Prefix)),
		},
	}
	if ix, ok := searchIndexes[src.By]; ok {
		// Named as constants, so the template's least-privilege check
		// (internal/dev/deploy) sees which indexes the API queries.
		switch ix.index {
		case surnameIndex:
			in.IndexName = aws.String(surnameIndex)
		case givenIndex:
			in.IndexName = aws.String(givenIndex)
		case emailIndex:
			in.IndexName = aws.String(emailIndex)
		}
		in.ExpressionAttributeNames = map[string]string{"#pk": searchPKAttr, "#sk": ix.attr}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":pk": str(searchPK(tenant)), ":prefix": str(src.Prefix)}
		if after != "" {
			_, id, _ := strings.Cut(after, "#")
			in.ExclusiveStartKey = key(memberPK(tenant), memberSK(id))
			in.ExclusiveStartKey[searchPKAttr], in.ExclusiveStartKey[ix.attr] = str(searchPK(tenant)), str(after)
		}
	} else if after != "" {
		in.ExclusiveStartKey = key(memberPK(tenant), memberSK(after))
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, false, err
	}
	found := make([]engine.Member, 0, len(out.Items))
	for _, item := range out.Items {
		m, err := decodeMember(item)
		if err != nil {
			return nil, false, err
		}
		found = append(found, m)
	}
	return found, out.LastEvaluatedKey != nil, nil
}

// IndexMembers gives the tenant's members stored before format 3 their
// search keys, and reports how many it indexed: the one-off backfill
// after the upgrade (README, "Member search"), safe to run again and
// beside imports. Each update is conditional on the version it read, so a
// member written meanwhile (which got its keys from that write) is left
// be; it moves no member in the change index (if_not_exists keeps a
// format 2 item's place and gives a format 1 item one as of now).
func (s *Store) IndexMembers(ctx context.Context, tenant string) (int, error) {
	var stale []engine.Member
	err := s.queryAll(ctx, memberPK(tenant), func(item map[string]types.AttributeValue) error {
		if v, err := formatOf("member item", item, 1); err != nil || v >= memberFormat {
			return err
		}
		m, err := decodeMember(item)
		if err == nil {
			stale = append(stale, m)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("index members: %w", err)
	}
	var indexed atomic.Int64
	err = s.parallel(ctx, len(stale), func(ctx context.Context, i int) error {
		m := &stale[i]
		names := map[string]string{"#chgPK": changePKAttr, "#chgSK": changeSKAttr, "#fmt": formatAttr, "#version": "version"}
		values := map[string]types.AttributeValue{
			":chgPK": str(changePK(tenant)), ":chgSK": str(changeKey(s.now(), m.EmployeeID())),
			":fmt": num(memberFormat), ":v": num(m.Version),
		}
		sets, removes := setSearchKeys(names, values, tenant, m)
		expr := "SET #fmt = :fmt, #chgPK = if_not_exists(#chgPK, :chgPK), #chgSK = if_not_exists(#chgSK, :chgSK), " + strings.Join(sets, ", ")
		if len(removes) > 0 {
			expr += " REMOVE " + strings.Join(removes, ", ")
		}
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: key(memberPK(tenant), memberSK(m.EmployeeID())),
			UpdateExpression: &expr, ConditionExpression: aws.String("#version = :v"),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		})
		switch {
		case conditionFailed(err):
			return nil // written since: that write indexed it
		case err != nil:
			return fmt.Errorf("member %s: %w", m.EmployeeID(), err)
		}
		indexed.Add(1)
		return nil
	})
	if err != nil {
		return int(indexed.Load()), fmt.Errorf("index members: %w", err)
	}
	return int(indexed.Load()), nil
}
