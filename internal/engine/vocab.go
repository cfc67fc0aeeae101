package engine

// The words the engine gives the outside world, each list in its
// constants' order: the admin console labels every one of them, and its
// test compares its labels with these lists.

// Statuses are every member Status.
func Statuses() []Status { return []Status{StatusInvited, StatusActive, StatusLeaver} }

// Welcomes are every Welcome state.
func Welcomes() []Welcome {
	return []Welcome{WelcomeOwed, WelcomeSending, WelcomeSent, WelcomeNotSent, WelcomeFailed, WelcomeScheduled}
}

// Kinds are every Kind of change.
func Kinds() []Kind { return []Kind{KindCreate, KindUpdate, KindClose, KindReactivate, KindRelink} }

// ScopeOps are every ScopeOp.
func ScopeOps() []ScopeOp { return []ScopeOp{ScopeEquals, ScopeNotEquals, ScopeIn, ScopeNotIn} }

// Severities are every Severity of an Issue.
func Severities() []Severity { return []Severity{SeverityError, SeverityWarning} }
