package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// previewRows is how many rows of each kind the review shows.
const previewRows = 5

// dryRun plans an import against the live feed and the stored members
// without writing anything.
func (s *Server) dryRun(ctx context.Context, in *integration.Integration) (engine.Plan, error) {
	key, err := s.openKey(ctx, in)
	if err != nil {
		return engine.Plan{}, err
	}
	settings, err := in.Settings.Sync()
	if err != nil {
		return engine.Plan{}, setupError(err)
	}
	ctx, cancel := context.WithTimeout(ctx, authorizeTimeout)
	defer cancel()
	planner, err := engine.Fetch(ctx, s.feed, key, in.Mapping, settings, s.now(), nil)
	if err != nil {
		return engine.Plan{}, setupError(err)
	}
	members, err := s.store.Members(ctx, in.TenantID)
	if err != nil {
		return engine.Plan{}, err
	}
	return planner.Plan(members), nil
}

// setupError says why a plan could not be made: the saved settings or
// mapping fail their checks (fix them first), or PeopleHR would not serve
// the key.
func setupError(err error) error {
	var se *engine.SettingsError
	var me *engine.MappingError
	switch {
	case errors.As(err, &se):
		return invalid("Save valid settings first.", fieldProblems(se.Problems)...)
	case errors.As(err, &me):
		return invalid("Save a valid mapping first.", fieldProblems(me.Problems)...)
	}
	return keyError(err)
}

func fieldProblems(ps []engine.FieldProblem) []FieldProblem {
	out := make([]FieldProblem, len(ps))
	for i, p := range ps {
		out[i] = FieldProblem(p)
	}
	return out
}

type previewRow struct {
	Row        int      `json:"row"`
	EmployeeID string   `json:"employeeId"`
	Email      string   `json:"email"`
	Name       string   `json:"name"`
	Fields     []string `json:"fields,omitempty"`
}

type issueRow struct {
	Row        int             `json:"row"`
	EmployeeID string          `json:"employeeId"`
	Field      string          `json:"field"`
	Message    string          `json:"message"`
	Severity   engine.Severity `json:"severity"`
}

type preview struct {
	Counts      engine.Counts `json:"counts"`
	Held        bool          `json:"held"`
	HeldReason  string        `json:"heldReason"`
	Creates     []previewRow  `json:"creates"`
	Updates     []previewRow  `json:"updates"`
	Closes      []previewRow  `json:"closes"`
	Reactivates []previewRow  `json:"reactivates"`
	Issues      []issueRow    `json:"issues"`
}

func viewPreview(plan engine.Plan) preview {
	p := preview{Counts: plan.Counts, Held: plan.Held, HeldReason: plan.HeldReason,
		Creates: []previewRow{}, Updates: []previewRow{}, Closes: []previewRow{}, Reactivates: []previewRow{}, Issues: []issueRow{}}
	byKind := map[engine.Kind]*[]previewRow{
		engine.KindCreate: &p.Creates, engine.KindUpdate: &p.Updates, engine.KindClose: &p.Closes, engine.KindReactivate: &p.Reactivates,
	}
	for _, c := range plan.Changes {
		rows := byKind[c.Kind]
		if len(*rows) >= previewRows {
			continue
		}
		row := previewRow{Row: c.Row, EmployeeID: c.EmployeeID(), Email: c.After.Email(),
			Name: c.After.Values.Get(engine.FirstName) + " " + c.After.Values.Get(engine.LastName)}
		if c.Kind == engine.KindUpdate {
			for _, f := range c.Fields {
				row.Fields = append(row.Fields, f.String())
			}
		}
		*rows = append(*rows, row)
	}
	for _, is := range plan.Issues[:min(len(plan.Issues), 2*previewRows)] {
		p.Issues = append(p.Issues, issueRow(is))
	}
	return p
}

func (s *Server) review(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	in, err := s.loadIntegration(r.Context(), p)
	if err != nil {
		return err
	}
	plan, err := s.dryRun(r.Context(), in)
	if err != nil {
		return err
	}
	v, err := s.view(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"integration": v, "preview": viewPreview(plan)})
	return nil
}

func (s *Server) publish(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	in, err := s.update(r, p, func(in *integration.Integration) error {
		if in.Key == nil {
			return errNoKey
		}
		if err := in.Mapping.Validate(); err != nil {
			return invalid("Save a valid mapping first: " + err.Error())
		}
		if in.State == integration.StateNeedsReauthorization {
			return &Error{Status: http.StatusConflict, Code: "needs_reauthorization", Message: "PeopleHR refused the key: paste a new one in step 2 first."}
		}
		in.Published, in.State = true, integration.StateLive
		return in.ScheduleFrom(s.now())
	})
	if err != nil {
		return err
	}
	// The first import goes at once; a run already queued or running is it.
	if _, _, err := s.startRun(r.Context(), p, integration.TriggerManual, ""); err != nil {
		return err
	}
	s.audit(r.Context(), p, integration.AuditPublished, "scheduled imports on")
	return s.writeIntegration(w, r, in)
}

func (s *Server) unpublish(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	in, err := s.update(r, p, func(in *integration.Integration) error {
		if in.State == integration.StateLive {
			in.State = integration.StateDraft
		}
		in.Published = false
		return nil
	})
	if err != nil {
		return err
	}
	s.audit(r.Context(), p, integration.AuditUnpublished, "scheduled imports paused")
	return s.writeIntegration(w, r, in)
}

// activeRun finds a run of the tenant queued or running, if any: runs are
// newest first and a tenant has one at a time, so the first few suffice.
func (s *Server) activeRun(ctx context.Context, tenant string) (*integration.Run, error) {
	runs, _, err := s.store.ListRuns(ctx, tenant, "", 5)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		if r.Active() {
			return r, nil
		}
	}
	return nil, nil
}

// startRun queues a run unless one is already queued or running, which it
// returns instead (created false).
func (s *Server) startRun(ctx context.Context, p auth.Principal, trigger integration.Trigger, approves string) (*integration.Run, bool, error) {
	if active, err := s.activeRun(ctx, p.TenantID); err != nil || active != nil {
		return active, false, err
	}
	now := s.now()
	run := &integration.Run{
		TenantID: p.TenantID, RunID: integration.NewRunID(now), Trigger: trigger, StartedBy: p.Email,
		Status: integration.StatusQueued, QueuedAt: now, Approves: approves,
	}
	// The check above finds a scheduled run too; this write settles callers
	// at once, only one of which queues a run.
	if active, err := s.store.QueueRun(ctx, run); err != nil || active != nil {
		return active, false, err
	}
	if err := s.jobs.Send(ctx, integration.Job{TenantID: p.TenantID, RunID: run.RunID, Trigger: trigger, Approves: approves}); err != nil {
		run.Status, run.FailureReason, run.FinishedAt = integration.StatusFailed, "The import could not be queued: try again.", s.now()
		if serr := s.store.SaveRun(ctx, run); serr != nil {
			err = errors.Join(err, serr)
		}
		return nil, false, err
	}
	return run, true, nil
}
