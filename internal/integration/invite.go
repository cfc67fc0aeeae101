package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// Why an invitation cannot be redeemed, besides ErrNotFound (no such
// token in the tenant: a typo, another tenant's token, or one long gone).
var (
	// ErrInviteSpent: the token was redeemed already, or replaced by a
	// newer invitation.
	ErrInviteSpent = errors.New("invitation already used or replaced")
	// ErrInviteExpired: the token's time ran out; the member needs a new
	// invitation.
	ErrInviteExpired = errors.New("invitation expired")
	// ErrMemberLeft: the member is a leaver, whose access is restricted.
	ErrMemberLeft = errors.New("member has left")
)

// InviteTTL is how long a welcome link works.
const InviteTTL = 14 * 24 * time.Hour

// InviteHash is what is stored of an invitation token: a leaked table
// does not leak working links. The token is 256 random bits, so a plain
// SHA-256 cannot be searched.
func InviteHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CheckRedeem says whether m may redeem an invitation that expires at
// expires: current is whether the token is still the member's (a redeemed
// or replaced token is not). Both stores apply it, so they answer alike.
func CheckRedeem(m *engine.Member, current bool, expires, now time.Time) error {
	switch {
	case m.Status == engine.StatusLeaver:
		return ErrMemberLeft
	case !current || m.Accepted || m.Status != engine.StatusInvited:
		return ErrInviteSpent
	case !now.Before(expires):
		return ErrInviteExpired
	}
	return nil
}

// Join is what redeeming changes on a member: active, accepted, and when.
func Join(m *engine.Member, now time.Time) {
	m.Status, m.Accepted, m.JoinedAt = engine.StatusActive, true, now
	m.Version++
	m.UpdatedAt = now
}

// ReminderDays are how many days after the first invitation each reminder
// goes (on that local day in the tenant's zone, at ReminderHour): two
// nudges, the second days before the first link expires.
var ReminderDays = [...]int{3, 10}

// ReminderHour is the local hour reminders go at: working hours, not the
// middle of the night.
const ReminderHour = 9

// ReminderDue is when reminder n (1-based) of a member first invited at
// invitedAt is due, in the tenant's zone; false when there is no such
// reminder. The day is counted in local dates, so a clock change between
// the invitation and the reminder moves neither.
func ReminderDue(invitedAt time.Time, zone *time.Location, n int) (time.Time, bool) {
	if n < 1 || n > len(ReminderDays) || invitedAt.IsZero() {
		return time.Time{}, false
	}
	y, m, d := invitedAt.In(zone).Date()
	return time.Date(y, m, d+ReminderDays[n-1], ReminderHour, 0, 0, 0, zone), true
}

// DueReminder is a member's reminder whose time has come, as the
// scheduler reads it from the store's due index.
type DueReminder struct {
	TenantID, EmployeeID string
	N                    int
}

// ReminderBucket is the shard (0..DueBuckets-1) of a member's due
// reminder, the same in every store: one tenant's thousands of invited
// members spread over every shard.
func ReminderBucket(tenant, employeeID string) int {
	return DueBucket(tenant + "\x00" + employeeID)
}

// Why an invitation cannot be sent again now.
var (
	// ErrJoined: the member joined already; there is nothing to resend.
	ErrJoined = errors.New("member has joined")
	// ErrInviteOnItsWay: a welcome is owed or being sent right now.
	ErrInviteOnItsWay = errors.New("an invitation is on its way")
)

// ResendEvery is how often one member's invitation may be sent again by
// hand: a click-happy admin cannot turn the service on one person.
const ResendEvery = 24 * time.Hour

// TooSoonError is a resend asked for within ResendEvery of the last one.
type TooSoonError struct{ Next time.Time }

func (e *TooSoonError) Error() string {
	return "invitation resent within the last day; next possible at " + e.Next.UTC().Format(time.RFC3339)
}

// CheckResend says whether m's invitation may be sent again at now, its
// last resend being lastResend (zero: never).
func CheckResend(m *engine.Member, lastResend, now time.Time) error {
	switch {
	case m.Status == engine.StatusLeaver:
		return ErrMemberLeft
	case m.Accepted || m.Status != engine.StatusInvited:
		return ErrJoined
	case m.Welcome == engine.WelcomeOwed || m.Welcome == engine.WelcomeSending || m.Welcome == engine.WelcomeScheduled:
		return ErrInviteOnItsWay
	case !lastResend.IsZero() && now.Before(lastResend.Add(ResendEvery)):
		return &TooSoonError{Next: lastResend.Add(ResendEvery)}
	}
	return nil
}
