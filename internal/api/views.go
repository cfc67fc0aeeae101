package api

import (
	"net/url"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// The JSON shapes of SPEC section 4. Times are RFC 3339 UTC, absent ones
// null; dates are yyyy-MM-dd.

type keyView struct {
	Status   string    `json:"status"`
	KeyLast4 string    `json:"keyLast4"`
	AddedAt  time.Time `json:"addedAt"`
}

type integrationView struct {
	TenantID      string               `json:"tenantId"`
	ProgrammeName string               `json:"programmeName"`
	State         integration.State    `json:"state"`
	Published     bool                 `json:"published"`
	Settings      integration.Settings `json:"settings"`
	Mapping       engine.Mapping       `json:"mapping"`
	Key           *keyView             `json:"key"`
	NextRunAt     *time.Time           `json:"nextRunAt"`
	LastRun       *runView             `json:"lastRun"`
	Version       int64                `json:"version"`
	EgressIP      string               `json:"egressIp,omitempty"`
	// Listener is the listener URL's creation, null without one (the URL
	// itself is shown once, when made).
	Listener *listenerView `json:"listener"`
}

func viewIntegration(in *integration.Integration, last *integration.Run) integrationView {
	v := integrationView{
		TenantID: in.TenantID, ProgrammeName: in.ProgrammeName, State: in.State, Published: in.Published,
		Settings: in.Settings, Mapping: in.Mapping, Version: in.Version,
	}
	if v.Settings.SummaryRecipients == nil {
		v.Settings.SummaryRecipients = []string{}
	}
	if v.Settings.Scope == nil {
		v.Settings.Scope = []engine.ScopeRule{}
	}
	if in.Key != nil {
		v.Key = &keyView{Status: "authorized", KeyLast4: in.Key.Last4, AddedAt: in.Key.AddedAt.UTC()}
	}
	if in.Scheduled() {
		v.NextRunAt = utc(in.NextRunAt)
	}
	if last != nil {
		rv := viewRun(last)
		v.LastRun = &rv
	}
	return v
}

type runView struct {
	RunID         string              `json:"runId"`
	Trigger       integration.Trigger `json:"trigger"`
	Status        integration.Status  `json:"status"`
	StartedBy     string              `json:"startedBy"`
	QueuedAt      *time.Time          `json:"queuedAt"`
	StartedAt     *time.Time          `json:"startedAt"`
	FinishedAt    *time.Time          `json:"finishedAt"`
	Phase         integration.Phase   `json:"phase"`
	Processed     int                 `json:"processed"`
	Total         int                 `json:"total"`
	Counts        engine.Counts       `json:"counts"`
	HeldReason    string              `json:"heldReason"`
	Resolution    string              `json:"resolution"`
	Approves      string              `json:"approves"`
	ErrorFile     bool                `json:"errorFile"`
	FailureReason string              `json:"failureReason"`
	// Members are the directory's totals as the run left it, null when it
	// planned nothing.
	Members *membersView `json:"members"`
	// Phases are the phases the run went through, in order, with when each
	// started and ended (null while it goes on); empty for runs recorded
	// before phases were timed.
	Phases []phaseView `json:"phases"`
}

type phaseView struct {
	Phase     integration.Phase `json:"phase"`
	StartedAt time.Time         `json:"startedAt"`
	EndedAt   *time.Time        `json:"endedAt"`
}

// viewPhases times each phase: it ends when the next starts, the last when
// the run finished.
func viewPhases(r *integration.Run) []phaseView {
	out := make([]phaseView, len(r.Phases))
	for i, p := range r.Phases {
		end := r.FinishedAt
		if i+1 < len(r.Phases) {
			end = r.Phases[i+1].StartedAt
		}
		out[i] = phaseView{Phase: p.Phase, StartedAt: p.StartedAt.UTC(), EndedAt: utc(end)}
	}
	return out
}

type membersView struct {
	Members         int `json:"members"`
	Joined          int `json:"joined"`
	JoinedSinceLast int `json:"joinedSinceLast"`
}

func viewRun(r *integration.Run) runView {
	return runView{
		RunID: r.RunID, Trigger: r.Trigger, Status: r.Status, StartedBy: r.StartedBy,
		QueuedAt: utc(r.QueuedAt), StartedAt: utc(r.StartedAt), FinishedAt: utc(r.FinishedAt),
		Phase: r.Phase, Processed: r.Processed, Total: r.Total, Counts: r.Counts,
		HeldReason: r.HeldReason, Resolution: r.Resolution, Approves: r.Approves,
		ErrorFile: r.ErrorFileKey != "", FailureReason: r.FailureReason,
		Members: (*membersView)(r.Members), Phases: viewPhases(r),
	}
}

func utc(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

type memberView struct {
	Fields    map[string]string `json:"fields"`
	Status    engine.Status     `json:"status"`
	LeftOn    string            `json:"leftOn"`
	PurgeOn   string            `json:"purgeOn"`
	Welcome   engine.Welcome    `json:"welcome"`
	CreatedAt *time.Time        `json:"createdAt"`
	UpdatedAt *time.Time        `json:"updatedAt"`
	// The invitation: first sent, reminders since, joined.
	InvitedAt *time.Time `json:"invitedAt"`
	Reminders int        `json:"reminders"`
	JoinedAt  *time.Time `json:"joinedAt"`
}

func viewMember(m *engine.Member) memberView {
	v := memberView{
		Fields: map[string]string{}, Status: m.Status, LeftOn: m.LeftOn, PurgeOn: m.PurgeOn,
		Welcome: m.Welcome, CreatedAt: utc(m.CreatedAt), UpdatedAt: utc(m.UpdatedAt),
		InvitedAt: utc(m.InvitedAt), Reminders: m.Reminders, JoinedAt: utc(m.JoinedAt),
	}
	for f := range engine.NumFields {
		if m.Values.Get(f) != "" {
			v.Fields[f.String()] = m.Values.Get(f)
		}
	}
	return v
}

// hitView is a member as a search finds it (integration.SearchHit): who,
// status and dates, and the path of the member's provisioning log.
type hitView struct {
	Fields    map[string]string `json:"fields"`
	Status    engine.Status     `json:"status"`
	LeftOn    string            `json:"leftOn"`
	CreatedAt *time.Time        `json:"createdAt"`
	InvitedAt *time.Time        `json:"invitedAt"`
	JoinedAt  *time.Time        `json:"joinedAt"`
	Log       string            `json:"log"`
}

func viewHit(m *engine.Member) hitView {
	v := hitView{
		Fields: map[string]string{}, Status: m.Status, LeftOn: m.LeftOn, CreatedAt: utc(m.CreatedAt),
		InvitedAt: utc(m.InvitedAt), JoinedAt: utc(m.JoinedAt),
		Log: "/members/" + url.PathEscape(m.EmployeeID()) + "/log",
	}
	for _, f := range integration.SearchFields {
		if m.Values.Get(f) != "" {
			v.Fields[f.String()] = m.Values.Get(f)
		}
	}
	return v
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
}
