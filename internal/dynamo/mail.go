package dynamo

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// An email goes out at most once: its state on the item moves owed ->
// sending before the send and sending -> sent (or back to owed, when the
// send certainly failed) after it, each move conditional on the state
// before. Two mailers, or one mail delivered twice, cannot both claim it.

// transition moves attr from one state to another on condition (and extra,
// if not nil), setting sets too, and returns the item as it is after.
//
// mine, if not "", names an attribute of sets whose value is this call's
// alone (a token's hash): when the condition fails because the item
// already holds the transition with that value, the write that failed was
// the SDK's retry of one that landed (its answer lost on the way back),
// and the transition stands. Without such a value a lost answer reads as
// a conflict.
func (s *Store) transition(ctx context.Context, k map[string]types.AttributeValue, attr string, from, to integration.MailState, extra *condition, sets map[string]types.AttributeValue, mine string) (map[string]types.AttributeValue, error) {
	names := map[string]string{"#state": attr}
	values := map[string]types.AttributeValue{":from": str(string(from)), ":to": str(string(to))}
	cond := "#state = :from"
	if extra != nil {
		cond += " AND (" + *extra.expr + ")"
		maps.Copy(names, extra.names)
		maps.Copy(values, extra.values)
	}
	expr := "SET #state = :to"
	i := 0
	for name, v := range sets {
		i++
		n, p := fmt.Sprintf("#s%d", i), fmt.Sprintf(":s%d", i)
		names[n], values[p] = name, v
		if w, ok := v.(setIfAbsent); ok {
			values[p] = w.AttributeValue
			expr += ", " + n + " = if_not_exists(" + n + ", " + p + ")"
			continue
		}
		expr += ", " + n + " = " + p
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: k, UpdateExpression: &expr, ConditionExpression: &cond,
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		ReturnValues: types.ReturnValueAllNew, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if conditionFailed(err) {
		if old := failedItem(err); mine != "" && text(old, attr) == string(to) && text(old, mine) != "" && text(old, mine) == text(sets, mine) {
			return old, nil
		}
		return nil, integration.ErrConflict
	}
	if err != nil {
		return nil, err
	}
	return out.Attributes, nil
}

// setIfAbsent is a value transition sets only where the item has none.
type setIfAbsent struct{ types.AttributeValue }

// ClaimWelcome moves a member's welcome from owed to sending and stores the
// hash of the invitation token and its expiry with it. A leaver is never
// claimed. integration.ErrConflict means there is nothing to send. The
// invitation item goes first: a claim that then fails leaves one naming a
// token no one was sent, which redeems as spent and expires.
func (s *Store) ClaimWelcome(ctx context.Context, tenant, employeeID, tokenHash string, expires time.Time) (engine.Member, error) {
	if err := s.putInvite(ctx, tenant, tokenHash, invite{EmployeeID: employeeID, ExpiresAt: expires}); err != nil {
		return engine.Member{}, fmt.Errorf("claim welcome: %w", err)
	}
	item, err := s.transition(ctx, key(memberPK(tenant), memberSK(employeeID)), "welcome",
		integration.MailOwed, integration.MailSending, &condition{
			expr:   aws.String("#status <> :leaver"),
			names:  map[string]string{"#status": "status"},
			values: map[string]types.AttributeValue{":leaver": str(string(engine.StatusLeaver))},
		},
		map[string]types.AttributeValue{
			"inviteHash": str(tokenHash), "inviteExpiresAt": str(formatTime(expires)),
		}, "inviteHash")
	if err != nil {
		return engine.Member{}, fmt.Errorf("claim welcome: %w", err)
	}
	return decodeMember(item)
}

// FinishWelcome records the outcome of a claimed welcome: sent, failed, or
// owed again when the send certainly did not happen. A sent one is the
// member's latest invitation, and its first unless one went before.
func (s *Store) FinishWelcome(ctx context.Context, tenant, employeeID string, to integration.MailState, result string) error {
	now := str(formatTime(s.now()))
	sets := map[string]types.AttributeValue{"welcomeResult": str(result), "welcomeAt": now}
	if to == integration.MailSent {
		sets["lastInviteAt"], sets["invitedAt"] = now, setIfAbsent{now}
	}
	_, err := s.transition(ctx, key(memberPK(tenant), memberSK(employeeID)), "welcome",
		integration.MailSending, to, nil, sets, "")
	if err != nil {
		return fmt.Errorf("finish welcome: %w", err)
	}
	return nil
}

// ClaimSummary moves a run's summary email from owed to sending.
func (s *Store) ClaimSummary(ctx context.Context, tenant, runID string) error {
	_, err := s.transition(ctx, key(runPK(tenant), runSK(runID)), "summary", integration.MailOwed, integration.MailSending, nil, nil, "")
	if err != nil {
		return fmt.Errorf("claim summary: %w", err)
	}
	return nil
}

// FinishSummary records the outcome of a claimed summary.
func (s *Store) FinishSummary(ctx context.Context, tenant, runID string, to integration.MailState) error {
	_, err := s.transition(ctx, key(runPK(tenant), runSK(runID)), "summary", integration.MailSending, to, nil, nil, "")
	if err != nil {
		return fmt.Errorf("finish summary: %w", err)
	}
	return nil
}

// mailPK is the partition of a tenant's email bookkeeping that lives on
// no member, run or integration (each summary recipient's copy), apart
// from those so nothing that lists runs or members ever meets it.
func mailPK(tenant string) string { return "T#" + tenant + "#MAIL" }

func summaryCopySK(runID, recipient string) string { return "SUMMARY#" + runID + "#" + recipient }

// summaryCopyTTL is how long a copy's state is kept: its run's summary is
// settled within the mail queue's retention, long before.
const summaryCopyTTL = 30 * 24 * time.Hour

// ClaimSummaryCopy claims one recipient's copy of a run's summary (never
// claimed, or owed again after a send that certainly failed) by moving it
// to sending. integration.ErrConflict means it was sent, is being sent or
// was refused.
func (s *Store) ClaimSummaryCopy(ctx context.Context, tenant, runID, recipient string) error {
	// UpdateItem creates the item when it is missing: the mailer's role may
	// only get and update items.
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      key(mailPK(tenant), summaryCopySK(runID, recipient)),
		UpdateExpression:         aws.String("SET #state = :sending, purgeAt = :purge"),
		ConditionExpression:      aws.String("attribute_not_exists(PK) OR #state = :owed"),
		ExpressionAttributeNames: map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": str(string(integration.MailSending)), ":owed": str(string(integration.MailOwed)),
			":purge": num(s.now().Add(summaryCopyTTL).Unix()),
		},
	})
	if conditionFailed(err) {
		err = integration.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("claim summary copy: %w", err)
	}
	return nil
}

// FinishSummaryCopy records the outcome of a claimed copy.
func (s *Store) FinishSummaryCopy(ctx context.Context, tenant, runID, recipient string, to integration.MailState) error {
	_, err := s.transition(ctx, key(mailPK(tenant), summaryCopySK(runID, recipient)), "state", integration.MailSending, to, nil, nil, "")
	if err != nil {
		return fmt.Errorf("finish summary copy: %w", err)
	}
	return nil
}

// ClaimReauthNotice moves the "re-authorize PeopleHR" email from owed to
// sending.
func (s *Store) ClaimReauthNotice(ctx context.Context, tenant string) error {
	_, err := s.transition(ctx, key(tenantPK(tenant), integrationSK), "reauthNotice", integration.MailOwed, integration.MailSending, nil, nil, "")
	if err != nil {
		return fmt.Errorf("claim re-authorization notice: %w", err)
	}
	return nil
}

// FinishReauthNotice records the outcome of a claimed notice.
func (s *Store) FinishReauthNotice(ctx context.Context, tenant string, to integration.MailState) error {
	_, err := s.transition(ctx, key(tenantPK(tenant), integrationSK), "reauthNotice", integration.MailSending, to, nil, nil, "")
	if err != nil {
		return fmt.Errorf("finish re-authorization notice: %w", err)
	}
	return nil
}

// KeyRefused counts a run that PeopleHR refused the key for. At the
// integration.ReauthAfter-th in a row it marks the integration as needing
// re-authorization, takes it off the schedule and owes the admin one email.
// noticeOwed says that email is still owed, so the caller queues it (again:
// the mailer's claim sends it once).
func (s *Store) KeyRefused(ctx context.Context, tenant string) (noticeOwed bool, err error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       key(tenantPK(tenant), integrationSK),
		UpdateExpression:          aws.String("ADD invalidKeyStreak :one, version :one"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return false, fmt.Errorf("count refused key: %w", err)
	}
	streak, err := intAttr(out.Attributes, "invalidKeyStreak")
	if err != nil {
		return false, fmt.Errorf("count refused key: %w", err)
	}
	if notice, _ := out.Attributes["reauthNotice"].(*types.AttributeValueMemberS); notice != nil && notice.Value == string(integration.MailOwed) {
		return true, nil
	}
	if streak < integration.ReauthAfter {
		return false, nil
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      key(tenantPK(tenant), integrationSK),
		UpdateExpression:         aws.String("SET #state = :reauth, reauthNotice = :owed ADD version :one REMOVE GSI1PK, GSI1SK"),
		ConditionExpression:      aws.String("#state <> :reauth"),
		ExpressionAttributeNames: map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":reauth": str(string(integration.StateNeedsReauthorization)), ":owed": str(string(integration.MailOwed)), ":one": num(1),
		},
	})
	if conditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark needs re-authorization: %w", err)
	}
	return true, nil
}

// KeyAccepted ends a streak of refused keys; nothing is written when there
// is none.
func (s *Store) KeyAccepted(ctx context.Context, tenant string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       key(tenantPK(tenant), integrationSK),
		UpdateExpression:          aws.String("SET invalidKeyStreak = :zero ADD version :one"),
		ConditionExpression:       aws.String("invalidKeyStreak > :zero"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": num(0), ":one": num(1)},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("reset refused-key count: %w", err)
	}
	return nil
}
