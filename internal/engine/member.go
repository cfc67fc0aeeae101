package engine

import "time"

// Status is a member's account state on the platform.
type Status string

const (
	StatusInvited Status = "invited" // created, welcome email owed or sent, not yet accepted
	StatusActive  Status = "active"  // can use the platform
	StatusLeaver  Status = "leaver"  // access restricted; deleted on PurgeOn
)

// Welcome tracks the welcome email. The mailer moves owed -> sending -> sent.
type Welcome string

const (
	WelcomeOwed    Welcome = "owed"
	WelcomeSending Welcome = "sending"
	WelcomeSent    Welcome = "sent"
	WelcomeNotSent Welcome = "not_sent" // welcome emails were off when created
	WelcomeFailed  Welcome = "failed"   // the address was refused: not retried
	// WelcomeScheduled waits for the member's start date (pre-hires, when
	// the tenant chose welcome emails on the start date).
	WelcomeScheduled Welcome = "scheduled"
)

// Member is one person's account as this service stores it.
type Member struct {
	Values  Values
	Status  Status
	LeftOn  string // yyyy-MM-dd, set while a leaver
	PurgeOn string // yyyy-MM-dd, when a leaver's account is deleted
	// PurgeAt is the instant PurgeOn begins in the tenant's zone, when the
	// store lets the member's item expire. The planner decides it with the
	// date, so the store needs no time zone.
	PurgeAt time.Time
	Welcome Welcome
	// Accepted is set once the member accepted an invitation; a rehired
	// member who never did is invited again.
	Accepted bool
	// Version increases with every write; updates are conditional on it.
	Version int64
	// LastRunID and LastChange name the run that last wrote the member and
	// what it did, written with the change itself: a resumed run counts
	// what it applied before it was interrupted from them.
	LastRunID  string
	LastChange Kind
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// JoinedAt is when the member redeemed their invitation (the
	// platform's call, not a plan's): zero until then.
	JoinedAt time.Time
	// InvitedAt is when the first invitation went out and Reminders how
	// many reminders followed it (the mailer's, not a plan's).
	InvitedAt time.Time
	Reminders int
}

// EmployeeID is the member's unique key.
func (m *Member) EmployeeID() string { return m.Values.Get(EmployeeID) }

// Email is the member's lower-cased email address.
func (m *Member) Email() string { return m.Values.Get(Email) }

// holdsEmail reports whether the member keeps its address reserved: leavers
// release theirs so it can pass to a new employee.
func (m *Member) holdsEmail() bool { return m.Status != StatusLeaver }
