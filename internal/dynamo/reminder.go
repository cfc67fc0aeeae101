package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// A member's invitation history lives on its item, written by the mailer
// and the API, never by a plan: invitedAt (the first invitation sent),
// lastInviteAt, reminders (how many sent), reminderState (the current
// reminder's email state) and resendAt (the last resend an admin asked
// for). A reminder that is due puts the member in the due index (GSI1,
// partition REMIND#<bucket>, sort key "<due>#<n>"), apart from the
// integrations' DUE# partitions: the scheduler reads what is due and
// nothing else, and the claim takes the member out of it.

func reminderPK(bucket int) string { return fmt.Sprintf("REMIND#%02d", bucket) }

func reminderSK(due time.Time, n int) string { return dueKey(due) + "#" + strconv.Itoa(n) }

// ScheduleReminder puts reminder n of a member in the due index for at,
// unless the member joined or left meanwhile (then nothing is due).
func (s *Store) ScheduleReminder(ctx context.Context, tenant, employeeID string, n int, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      key(memberPK(tenant), memberSK(employeeID)),
		UpdateExpression:         aws.String("SET GSI1PK = :pk, GSI1SK = :sk"),
		ConditionExpression:      aws.String("#status = :invited AND attribute_not_exists(accepted)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(reminderPK(integration.ReminderBucket(tenant, employeeID))), ":sk": str(reminderSK(at, n)),
			":invited": str(string(engine.StatusInvited)),
		},
	})
	if conditionFailed(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("schedule reminder: %w", err)
	}
	return nil
}

// DueReminders reads the reminders of one shard due at or before now.
func (s *Store) DueReminders(ctx context.Context, bucket int, now time.Time) ([]integration.DueReminder, error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(dueIndex),
		KeyConditionExpression: aws.String("GSI1PK = :b AND GSI1SK <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			// "<due>#<n>" sorts after "<due>": due once its second passed.
			":b": str(reminderPK(bucket)), ":now": str(dueKey(now)),
		},
	}
	var out []integration.DueReminder
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query due reminders: %w", err)
		}
		for _, item := range page.Items {
			r, err := decodeDueReminder(item)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// decodeDueReminder reads a due index entry: the member's keys (every
// index carries the table's) and the reminder's number.
func decodeDueReminder(item map[string]types.AttributeValue) (integration.DueReminder, error) {
	pk, sk, due := text(item, "PK"), text(item, "SK"), text(item, "GSI1SK")
	tenant, ok := strings.CutSuffix(strings.TrimPrefix(pk, "T#"), "#M")
	id, isMember := strings.CutPrefix(sk, "E#")
	_, num, _ := strings.Cut(due, "#")
	n, err := strconv.Atoi(num)
	if !ok || !isMember || !strings.HasPrefix(pk, "T#") || err != nil || n < 1 {
		return integration.DueReminder{}, fmt.Errorf("decode due reminder %q/%q (%q): not a member's reminder", pk, sk, due)
	}
	return integration.DueReminder{TenantID: tenant, EmployeeID: id, N: n}, nil
}

// ClaimReminder moves reminder n of a member to sending, with a fresh
// invitation token (the old link is spent), and takes it out of the due
// index. Only an invited member who has not joined, was sent its welcome
// and n-1 reminders, and is not being sent one now is claimed:
// integration.ErrConflict otherwise, and a member who can no longer be
// reminded at all (joined, left, its welcome refused) leaves the index.
// One being reminded by another mailer stays: that mailer schedules the
// next.
func (s *Store) ClaimReminder(ctx context.Context, tenant, employeeID string, n int, tokenHash string, expires time.Time) (engine.Member, error) {
	if err := s.putInvite(ctx, tenant, tokenHash, invite{EmployeeID: employeeID, ExpiresAt: expires}); err != nil {
		return engine.Member{}, fmt.Errorf("claim reminder: %w", err)
	}
	sent := "reminders = :before"
	if n == 1 {
		sent = "(attribute_not_exists(reminders) OR reminders = :before)"
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table,
		Key:       key(memberPK(tenant), memberSK(employeeID)),
		UpdateExpression: aws.String("SET reminderState = :sending, inviteHash = :hash, inviteExpiresAt = :expires " +
			"REMOVE GSI1PK, GSI1SK"),
		ConditionExpression: aws.String("#status = :invited AND attribute_not_exists(accepted) AND welcome = :sent AND " + sent +
			" AND (attribute_not_exists(reminderState) OR reminderState <> :sending)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": str(string(integration.MailSending)), ":hash": str(tokenHash), ":expires": str(formatTime(expires)),
			":invited": str(string(engine.StatusInvited)), ":sent": str(string(engine.WelcomeSent)), ":before": num(int64(n - 1)),
		},
		ReturnValues: types.ReturnValueAllNew, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if old := failedItem(err); old != nil && text(old, "reminderState") == string(integration.MailSending) && text(old, "inviteHash") == tokenHash {
		return decodeMember(old) // this very claim, retried after it landed
	}
	if conditionFailed(err) {
		return engine.Member{}, errors.Join(fmt.Errorf("claim reminder: %w", integration.ErrConflict), s.dropUnremindable(ctx, tenant, employeeID))
	}
	if err != nil {
		return engine.Member{}, fmt.Errorf("claim reminder: %w", err)
	}
	return decodeMember(out.Attributes)
}

// dropUnremindable takes a member who can no longer be reminded out of
// the due index, so the scheduler stops queueing it.
func (s *Store) dropUnremindable(ctx context.Context, tenant, employeeID string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(memberPK(tenant), memberSK(employeeID)),
		UpdateExpression:         aws.String("REMOVE GSI1PK, GSI1SK"),
		ConditionExpression:      aws.String("attribute_exists(PK) AND (attribute_exists(accepted) OR #status <> :invited OR welcome <> :sent)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":invited": str(string(engine.StatusInvited)), ":sent": str(string(engine.WelcomeSent)),
		},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("drop reminders: %w", err)
	}
	return nil
}

// FinishReminder records the outcome of claimed reminder n: sent counts
// it; owed lets the retried job claim it again.
func (s *Store) FinishReminder(ctx context.Context, tenant, employeeID string, n int, to integration.MailState) error {
	expr := "SET reminderState = :to"
	values := map[string]types.AttributeValue{":to": str(string(to)), ":sending": str(string(integration.MailSending))}
	if to == integration.MailSent {
		expr += ", reminders = :n, lastInviteAt = :now"
		values[":n"], values[":now"] = num(int64(n)), str(formatTime(s.now()))
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(memberPK(tenant), memberSK(employeeID)),
		UpdateExpression: &expr, ConditionExpression: aws.String("reminderState = :sending"),
		ExpressionAttributeValues: values,
	})
	if conditionFailed(err) {
		err = integration.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("finish reminder: %w", err)
	}
	return nil
}

// CancelReminders takes a member out of the due index whatever its state:
// its tenant turned reminders off.
func (s *Store) CancelReminders(ctx context.Context, tenant, employeeID string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(memberPK(tenant), memberSK(employeeID)),
		UpdateExpression:    aws.String("REMOVE GSI1PK, GSI1SK"),
		ConditionExpression: aws.String("attribute_exists(PK)"),
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("cancel reminders: %w", err)
	}
	return nil
}

// ResendInvite owes a member its welcome again, so the mailer sends it
// with a fresh link (spending the old one), at most once every
// integration.ResendEvery. Errors: integration.ErrNotFound,
// ErrMemberLeft, ErrJoined, ErrInviteOnItsWay, *TooSoonError.
func (s *Store) ResendInvite(ctx context.Context, tenant, employeeID string) error {
	item, err := s.get(ctx, memberPK(tenant), memberSK(employeeID))
	if err != nil {
		return fmt.Errorf("resend invitation: %w", err)
	}
	m, err := decodeMember(item)
	if err != nil {
		return fmt.Errorf("resend invitation: %w", err)
	}
	last, err := parseTime(text(item, "resendAt"))
	if err != nil {
		return fmt.Errorf("resend invitation: resendAt: %w", err)
	}
	now := s.now()
	if err := integration.CheckResend(&m, last, now); err != nil {
		return fmt.Errorf("resend invitation: %w", err)
	}
	// On condition nothing changed since the read: the checks above hold.
	cond := "version = :version AND welcome = :welcome AND attribute_not_exists(resendAt)"
	values := map[string]types.AttributeValue{
		":owed": str(string(engine.WelcomeOwed)), ":now": str(formatTime(now)),
		":version": num(m.Version), ":welcome": str(string(m.Welcome)),
	}
	if !last.IsZero() {
		cond = "version = :version AND welcome = :welcome AND resendAt = :last"
		values[":last"] = str(formatTime(last))
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(memberPK(tenant), memberSK(employeeID)),
		UpdateExpression: aws.String("SET welcome = :owed, resendAt = :now"), ConditionExpression: &cond,
		ExpressionAttributeValues: values,
	})
	if conditionFailed(err) {
		// Someone else resent, or the member changed: say which next time.
		return fmt.Errorf("resend invitation: %w", integration.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("resend invitation: %w", err)
	}
	return nil
}

// decodeInvitations reads what the mailer keeps of a member's invitations.
func decodeInvitations(a map[string]types.AttributeValue, m *engine.Member) error {
	var err error
	if m.InvitedAt, err = parseTime(text(a, "invitedAt")); err != nil {
		return fmt.Errorf("invitedAt: %w", err)
	}
	n, err := intAttr(a, "reminders")
	if err != nil {
		return err
	}
	m.Reminders = int(n)
	return nil
}
