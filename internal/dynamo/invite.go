package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// An invitation is found by its token's hash: the welcome link carries
// the token and the tenant, not the employee id. Its item names the member
// it was issued to; the member item holds the hash of its one live
// token, so a token replaced by a newer one, or redeemed, is spent.

// inviteFormat is the invitation item's format version.
const inviteFormat = 1

// inviteKeep is how long an invitation item outlives its expiry, so a late
// click is told "expired" (ask for a new one), not "unknown".
const inviteKeep = 60 * 24 * time.Hour

const inviteSK = "INVITE"

func invitePK(tenant, hash string) string { return "T#" + tenant + "#INVITE#" + hash }

// invite is what an invitation item holds.
type invite struct {
	EmployeeID string
	ExpiresAt  time.Time
}

func inviteItem(tenant, hash string, inv invite) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": str(invitePK(tenant, hash)), "SK": str(inviteSK), formatAttr: num(inviteFormat),
		"employeeId": str(inv.EmployeeID), "expiresAt": str(formatTime(inv.ExpiresAt)),
		"purgeAt": num(inv.ExpiresAt.Add(inviteKeep).Unix()),
	}
}

// putInvite writes an invitation item with UpdateItem, which creates it:
// the mailer's role may get and update items, never put them.
func (s *Store) putInvite(ctx context.Context, tenant, hash string, inv invite) error {
	item := inviteItem(tenant, hash, inv)
	names, values := map[string]string{}, map[string]types.AttributeValue{}
	var sets []string
	for _, a := range slices.Sorted(maps.Keys(item)) {
		if a == "PK" || a == "SK" {
			continue
		}
		n := fmt.Sprintf("%d", len(sets))
		names["#a"+n], values[":a"+n] = a, item[a]
		sets = append(sets, "#a"+n+" = :a"+n)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(invitePK(tenant, hash), inviteSK),
		UpdateExpression:         aws.String("SET " + strings.Join(sets, ", ")),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	})
	if err != nil {
		return fmt.Errorf("store invitation: %w", err)
	}
	return nil
}

func decodeInvite(item map[string]types.AttributeValue) (invite, error) {
	if err := checkFormat("invitation item", item, inviteFormat); err != nil {
		return invite{}, err
	}
	inv := invite{EmployeeID: text(item, "employeeId")}
	var err error
	if inv.ExpiresAt, err = parseTime(text(item, "expiresAt")); err != nil || inv.ExpiresAt.IsZero() || inv.EmployeeID == "" {
		return invite{}, fmt.Errorf("invitation item: no employee or expiry (%v)", err)
	}
	return inv, nil
}

// redeemAttempts bounds the re-reads when the member changes between the
// read and the conditional write (an import updating it, say).
const redeemAttempts = 3

// RedeemInvite makes the member an invitation token (by its hash) was
// issued to active, spending the token, and returns the member as stored
// after. Of two redemptions at once exactly one succeeds. Errors:
// integration.ErrNotFound, ErrInviteSpent, ErrInviteExpired, ErrMemberLeft.
func (s *Store) RedeemInvite(ctx context.Context, tenant, hash string) (engine.Member, error) {
	item, err := s.get(ctx, invitePK(tenant, hash), inviteSK)
	if err != nil {
		return engine.Member{}, fmt.Errorf("redeem invitation: %w", err)
	}
	inv, err := decodeInvite(item)
	if err != nil {
		return engine.Member{}, fmt.Errorf("redeem invitation: %w", err)
	}
	for attempt := 1; ; attempt++ {
		m, err := s.redeemOnce(ctx, tenant, hash, inv)
		if !errors.Is(err, integration.ErrConflict) {
			return m, err
		}
		if attempt == redeemAttempts {
			return engine.Member{}, fmt.Errorf("redeem invitation: member kept changing: %w", integration.ErrConflict)
		}
	}
}

// redeemOnce reads the member and joins it on condition that nothing
// changed since; integration.ErrConflict when something did.
func (s *Store) redeemOnce(ctx context.Context, tenant, hash string, inv invite) (engine.Member, error) {
	item, err := s.get(ctx, memberPK(tenant), memberSK(inv.EmployeeID))
	if err != nil {
		return engine.Member{}, fmt.Errorf("redeem invitation: member: %w", err)
	}
	m, err := decodeMember(item)
	if err != nil {
		return engine.Member{}, fmt.Errorf("redeem invitation: %w", err)
	}
	now := s.now()
	if err := integration.CheckRedeem(&m, text(item, "inviteHash") == hash, inv.ExpiresAt, now); err != nil {
		return engine.Member{}, fmt.Errorf("redeem invitation: %w", err)
	}
	joined := m
	integration.Join(&joined, now)
	names := map[string]string{"#status": "status"}
	values := map[string]types.AttributeValue{
		":active": str(string(joined.Status)), ":true": &types.AttributeValueMemberBOOL{Value: true},
		":now": str(formatTime(now)), ":next": num(joined.Version), ":hash": str(hash), ":version": num(m.Version),
	}
	sets, removes := setSearchKeys(names, values, tenant, &joined)
	sets = append(sets, setChangeKeys(names, values, tenant, inv.EmployeeID, now))
	removes = append(removes, "inviteHash", "inviteExpiresAt")
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table,
		Key:       key(memberPK(tenant), memberSK(inv.EmployeeID)),
		UpdateExpression: aws.String("SET #status = :active, accepted = :true, joinedAt = :now, updatedAt = :now, version = :next, " +
			strings.Join(sets, ", ") + " REMOVE " + strings.Join(removes, ", ")),
		ConditionExpression:       aws.String("inviteHash = :hash AND version = :version"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return engine.Member{}, integration.ErrConflict
	}
	if err != nil {
		return engine.Member{}, fmt.Errorf("redeem invitation: %w", err)
	}
	return decodeMember(out.Attributes)
}

// MemberByEmail reads the member holding an address (lower-cased), or
// integration.ErrNotFound. Leavers release their addresses, so a leaver is
// found by employee id only.
func (s *Store) MemberByEmail(ctx context.Context, tenant, email string) (engine.Member, error) {
	owner, err := s.get(ctx, emailPK(tenant, email), emailSK)
	if err != nil {
		return engine.Member{}, fmt.Errorf("member by email: %w", err)
	}
	m, err := s.GetMember(ctx, tenant, text(owner, "owner"))
	if err != nil {
		return engine.Member{}, fmt.Errorf("member by email: %w", err)
	}
	// An owner item can outlive its claim (a run that died between a
	// batch's owners and its members): only a member with the address
	// holds it.
	if m.Email() != email || m.Status == engine.StatusLeaver {
		return engine.Member{}, fmt.Errorf("member by email: %w", integration.ErrNotFound)
	}
	return m, nil
}
