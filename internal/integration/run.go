package integration

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// Status is where a run is in its life (SPEC section 3).
type Status string

const (
	StatusQueued              Status = "queued"
	StatusRunning             Status = "running"
	StatusHeld                Status = "held"
	StatusSucceeded           Status = "succeeded"
	StatusSucceededWithErrors Status = "succeeded_with_errors"
	StatusFailed              Status = "failed"
	StatusCancelled           Status = "cancelled"
)

// Finished reports whether the run will not change any more by itself.
func (s Status) Finished() bool {
	switch s {
	case StatusSucceeded, StatusSucceededWithErrors, StatusFailed, StatusCancelled, StatusHeld:
		return true
	}
	return false
}

// Phase is what a running run is doing, for the progress bar.
type Phase string

const (
	PhaseFetching Phase = "fetching"
	PhasePlanning Phase = "planning"
	PhaseApplying Phase = "applying"
	PhaseEmailing Phase = "emailing"
)

// Trigger is what started a run.
type Trigger string

const (
	TriggerSchedule Trigger = "schedule"
	TriggerManual   Trigger = "manual"
	TriggerApproval Trigger = "approval"
	// TriggerPeopleHRChange is a run PeopleHR's change notifications
	// asked for (the tenant's listener URL).
	TriggerPeopleHRChange Trigger = "peoplehr_change"
)

// Run is one import.
type Run struct {
	TenantID      string
	RunID         string
	Trigger       Trigger
	Status        Status
	StartedBy     string
	QueuedAt      time.Time
	StartedAt     time.Time
	FinishedAt    time.Time
	Phase         Phase
	Processed     int
	Total         int
	Counts        engine.Counts
	HeldReason    string
	FailureReason string
	ErrorFileKey  string
	// Summary is the state of the run's summary email.
	Summary MailState
	// Approves is, for an approval run, the held run whose plan it applies.
	Approves string
	// Resolution says what became of a held run: ResolutionApproved or
	// ResolutionDiscarded followed by the admin's email; empty while it
	// waits. It is set once, by a conditional write: the first decision wins.
	Resolution string
	// Members counts the directory as the run left it; nil for a run that
	// planned nothing (failed before) and for runs recorded before it was
	// counted.
	Members *MemberTotals
	// Phases are the phases the run went through, in order: a phase ends
	// when the next begins, the last when the run finished. Empty for runs
	// recorded before phases were timed.
	Phases []PhaseTime
}

// PhaseTime is when a run entered a phase. An interrupted run resumed by
// the redelivered job enters its phases again: each entry is one go.
type PhaseTime struct {
	Phase     Phase
	StartedAt time.Time
}

// MemberTotals are how many members there are and how many have joined.
type MemberTotals struct {
	// Members are the members who are not leavers; Joined those of them
	// who redeemed an invitation.
	Members, Joined int
	// JoinedSinceLast joined between the run before this one and this one.
	JoinedSinceLast int
}

// The decisions on a held run, as Resolution begins.
const (
	ResolutionApproved  = "approved by "
	ResolutionDiscarded = "discarded by "
)

// Active reports whether the run is waiting or working.
func (r *Run) Active() bool { return r.Status == StatusQueued || r.Status == StatusRunning }

// MailState tracks one email that must go out at most once: the mailer
// moves it owed -> sending -> sent with conditional writes, and back to owed
// only when the send certainly failed (throttling).
type MailState string

const (
	MailNone    MailState = ""
	MailOwed    MailState = "owed"
	MailSending MailState = "sending"
	MailSent    MailState = "sent"
	MailFailed  MailState = "failed" // refused for good (bad address): not retried
)

// Job is the queue message that asks a worker for one run. It carries ids
// only, never employee data. On the FIFO imports queue the tenant is the
// message group (one run per tenant at a time) and tenant+run the
// deduplication id (a job queued twice is delivered once).
type Job struct {
	TenantID string  `json:"tenantId"`
	RunID    string  `json:"runId"`
	Trigger  Trigger `json:"trigger"`
	// Approves names the held run an approval run applies.
	Approves string `json:"approves,omitempty"`
	// NotBefore is when a change run's window of notifications closes:
	// the worker waits for it, so the run reads what each of them names.
	NotBefore time.Time `json:"notBefore,omitzero"`
}

// idTime is a run id's time: fixed-width digits to the microsecond, so ids
// sort by time even within one second, and only letters and digits, so an
// id is safe in a URL path or fragment as it is.
func idTime(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%s%06dZ", t.Format("20060102T150405"), t.Nanosecond()/1000)
}

// RunIDPosition is where run ids of runs queued at t sort: after every
// run id of an earlier time, before every one of t or later.
func RunIDPosition(t time.Time) string { return idTime(t) }

// SlotRunID is the run id of a scheduled slot: the same slot always gets the
// same id, so a scheduler that ticks twice queues one run.
func SlotRunID(slot time.Time) string {
	return idTime(slot) + "-schedule"
}

// ChangeWindow is how long PeopleHR's change notifications of a tenant are
// gathered into one run: a burst of them (a payroll upload, a leaver's
// many field changes) is one read of PeopleHR, a minute at worst.
const ChangeWindow = 20 * time.Second

// ChangeSettle is how long after its window a change run waits before it
// reads the employees the window's notifications named: a notification
// received in the window's last instant has noted its employee by then.
const ChangeSettle = 2 * time.Second

// MaxTargetedReads is how many employees a change run reads one by one
// (GetEmployeeDetailById); a window naming more is a full import, one
// call. With a window every ChangeWindow, change runs make at most 15
// calls a minute: half PeopleHR's rate limit of about 30, the rest left
// for the scheduled import and the customer's other integrations.
const MaxTargetedReads = 5

// ChangeJob is the run a notification received at now asks for: the one
// of its window, whose id every notification in the window shares (the
// FIFO queue deduplicates them into one job), not before the window ends.
func ChangeJob(tenant string, now time.Time) Job {
	start := now.UTC().Truncate(ChangeWindow)
	return Job{TenantID: tenant, RunID: idTime(start) + "-" + string(TriggerPeopleHRChange),
		Trigger: TriggerPeopleHRChange, NotBefore: start.Add(ChangeWindow + ChangeSettle)}
}

// ChangedEmployees are the employees a change run's notifications named:
// the ids, at most MaxTargetedReads of them, or All when they named more
// (or something the run cannot read one by one), for a full import.
type ChangedEmployees struct {
	IDs []string
	All bool
}

// NewRunID is a run id that sorts by time, so a tenant's history reads
// newest first straight from the index.
func NewRunID(now time.Time) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return idTime(now) + "-" + hex.EncodeToString(b[:])
}

// LogEntry is one line of a member's provisioning log: what a run did to
// the member, or why it skipped their record.
type LogEntry struct {
	EmployeeID string        `json:"employeeId"`
	RunID      string        `json:"runId"`
	Action     string        `json:"action"` // create, update, close, reactivate, relink, skip
	Changes    []FieldChange `json:"changes"`
	Reason     string        `json:"reason"`
	At         time.Time     `json:"at"`
}

// FieldChange is one field's value before and after a change.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// PeriodOrder orders the log of a period: by run (run ids sort by time),
// then employee id.
func PeriodOrder(a, b LogEntry) int {
	return cmp.Or(cmp.Compare(a.RunID, b.RunID), cmp.Compare(a.EmployeeID, b.EmployeeID))
}

// LogRetention keeps a member's log as long as the history (SPEC section 3).
const LogRetention = 400 * 24 * time.Hour
