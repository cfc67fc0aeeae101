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
