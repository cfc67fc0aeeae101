package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// errorLinkTTL is how long an error file link works (SPEC section 3).
const errorLinkTTL = 15 * time.Minute

func (s *Server) importNow(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	in, err := s.loadIntegration(r.Context(), p)
	if err != nil {
		return err
	}
	if in.Key == nil {
		return errNoKey
	}
	if err := s.manualLimit(r.Context(), p.TenantID); err != nil {
		return err
	}
	run, created, err := s.startRun(r.Context(), p, integration.TriggerManual, "")
	if err != nil {
		return err
	}
	status := http.StatusOK // the run already queued or running
	if created {
		status = http.StatusAccepted
		s.audit(r.Context(), p, integration.AuditImportStarted, "import "+run.RunID)
	}
	writeJSON(w, status, viewRun(run))
	return nil
}

// Manual imports a tenant may start in an hour: each sends a summary to
// every recipient, so back-to-back imports would make the service a mail
// cannon. The schedule and approvals are not counted.
const (
	manualPerHour = 6
	manualWindow  = time.Hour
)

// manualLimit refuses a new manual import when the tenant started
// manualPerHour of them in the last hour, saying when the next may start.
// An import queued or running is not refused here: startRun answers with
// it. Only one run can be queued at a time (Store.QueueRun), so callers at
// once cannot pass this check together and start more than one.
func (s *Server) manualLimit(ctx context.Context, tenant string) error {
	runs, _, err := s.store.ListRuns(ctx, tenant, "", manualPerHour*3)
	if err != nil {
		return err
	}
	since := s.now().Add(-manualWindow)
	var recent []time.Time // newest first
	for _, r := range runs {
		if r.Active() {
			return nil
		}
		if r.Trigger == integration.TriggerManual && r.QueuedAt.After(since) {
			recent = append(recent, r.QueuedAt)
		}
	}
	if len(recent) < manualPerHour {
		return nil
	}
	wait := recent[manualPerHour-1].Sub(since)
	return &Error{Status: http.StatusTooManyRequests, RetryAfter: int((wait + time.Second - 1) / time.Second), Code: "rate_limited",
		Message: fmt.Sprintf("%d imports were started by hand in the last hour, the most there can be: try again in %d minutes.", manualPerHour, int((wait+time.Minute-1)/time.Minute))}
}

// pageLimit reads ?limit= (1..100, default 20).
func pageLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 20, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, invalid("limit must be a whole number from 1 to 100.", FieldProblem{"limit", "1..100"})
	}
	return n, nil
}

func (s *Server) listImports(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	runs, next, err := s.store.ListRuns(r.Context(), p.TenantID, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	out := page[runView]{Items: []runView{}, NextCursor: next}
	for _, run := range runs {
		out.Items = append(out.Items, viewRun(run))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// run reads the caller's run named in the path.
func (s *Server) run(r *http.Request, p auth.Principal) (*integration.Run, error) {
	id := r.PathValue("runId")
	if id == "" || len(id) > 64 {
		return nil, errNotFound
	}
	return s.store.GetRun(r.Context(), p.TenantID, id)
}

func (s *Server) getImport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	run, err := s.run(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewRun(run))
	return nil
}

func (s *Server) errorFile(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	run, err := s.run(r, p)
	if err != nil {
		return err
	}
	if run.ErrorFileKey == "" {
		return &Error{Status: http.StatusNotFound, Code: "no_error_file", Message: "This import had no errors or warnings: there is no error file."}
	}
	url, err := s.links.Presign(r.Context(), run.ErrorFileKey, errorLinkTTL)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("redirect") == "true" {
		http.Redirect(w, r, url, http.StatusFound)
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"url": url, "expiresAt": s.now().Add(errorLinkTTL).UTC()})
	return nil
}

var errNotHeld = &Error{Status: http.StatusConflict, Code: "not_held", Message: "Only a held import waiting for a decision can be approved or discarded."}

// heldRun reads a held run still waiting for a decision.
func (s *Server) heldRun(r *http.Request, p auth.Principal) (*integration.Run, error) {
	run, err := s.run(r, p)
	if err != nil {
		return nil, err
	}
	if run.Status != integration.StatusHeld || run.Resolution != "" {
		return nil, errNotHeld
	}
	return run, nil
}

// approve applies a held run's plan, exactly, if PeopleHR still says what
// it said: otherwise 409, and the admin runs a new import.
func (s *Server) approve(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	held, err := s.heldRun(r, p)
	if err != nil {
		return err
	}
	in, err := s.loadIntegration(r.Context(), p)
	if err != nil {
		return err
	}
	now, err := s.dryRun(r.Context(), in)
	if err != nil {
		return err
	}
	kept, err := s.store.HeldPlan(r.Context(), p.TenantID, held.RunID)
	if err != nil {
		return err
	}
	if !samePlan(kept, now.Changes) {
		return &Error{Status: http.StatusConflict, Code: "feed_changed", Message: "PeopleHR or the members changed since this import was held: start a new import to see what it would do now."}
	}
	// The decision is taken before the approval run is queued, so a
	// discard at the same moment either wins here or finds it taken.
	decision := integration.ResolutionApproved + p.Email
	if err := s.decide(r.Context(), held, decision); err != nil {
		return err
	}
	run, created, err := s.startRun(r.Context(), p, integration.TriggerApproval, held.RunID)
	if err == nil && created {
		s.audit(r.Context(), p, integration.AuditHeldApproved, "held import "+held.RunID+", applied by import "+run.RunID)
		writeJSON(w, http.StatusAccepted, viewRun(run))
		return nil
	}
	// Nothing was queued to apply it: the held run waits for a decision again.
	if uerr := s.store.DecideHeld(r.Context(), p.TenantID, held.RunID, decision, ""); uerr != nil {
		return errors.Join(err, fmt.Errorf("withdraw the approval: %w", uerr))
	}
	if err != nil {
		return err
	}
	return &Error{Status: http.StatusConflict, Code: "run_active", Message: fmt.Sprintf("Import %s is queued or running: approve when it has finished.", run.RunID)}
}

func (s *Server) discard(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	held, err := s.heldRun(r, p)
	if err != nil {
		return err
	}
	if err := s.decide(r.Context(), held, integration.ResolutionDiscarded+p.Email); err != nil {
		return err
	}
	s.audit(r.Context(), p, integration.AuditHeldDiscarded, "held import "+held.RunID)
	writeJSON(w, http.StatusOK, viewRun(held))
	return nil
}

// decide records the decision on a held run if none was taken since it
// was read: of an approve and a discard at once, the second gets 409.
func (s *Server) decide(ctx context.Context, held *integration.Run, decision string) error {
	err := s.store.DecideHeld(ctx, held.TenantID, held.RunID, "", decision)
	if errors.Is(err, integration.ErrConflict) {
		return errNotHeld
	}
	if err != nil {
		return err
	}
	held.Resolution = decision
	return nil
}

// samePlan reports whether two plans make the same writes to the same
// stored versions. Only what a change writes counts: a welcome sent since
// (which does not move the version) does not make a plan stale.
func samePlan(a, b []engine.Change) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(c *engine.Change) string { return string(c.Kind) + "/" + c.EmployeeID() }
	index := make(map[string]*engine.Change, len(a))
	for i := range a {
		index[key(&a[i])] = &a[i]
	}
	for i := range b {
		k, ok := index[key(&b[i])]
		if !ok || !sameWrite(k, &b[i]) {
			return false
		}
	}
	return true
}

func sameWrite(a, b *engine.Change) bool {
	if (a.Before == nil) != (b.Before == nil) || a.Before != nil && a.Before.Version != b.Before.Version {
		return false
	}
	if !slices.Equal(a.Fields, b.Fields) || a.After.Status != b.After.Status ||
		a.After.LeftOn != b.After.LeftOn || a.After.PurgeOn != b.After.PurgeOn {
		return false
	}
	for _, f := range a.Fields {
		if a.After.Values.Get(f) != b.After.Values.Get(f) {
			return false
		}
	}
	return a.Kind == engine.KindUpdate || a.Kind == engine.KindClose || a.After.Welcome == b.After.Welcome
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	if q := r.URL.Query().Get("q"); strings.TrimSpace(q) != "" {
		return s.searchMembers(w, r, p, q, limit)
	}
	status := engine.Status(r.URL.Query().Get("status"))
	if status != "" && !slices.Contains([]engine.Status{engine.StatusInvited, engine.StatusActive, engine.StatusLeaver}, status) {
		return invalid("status must be invited, active or leaver.", FieldProblem{"status", "invited|active|leaver"})
	}
	members, next, err := s.store.ListMembers(r.Context(), p.TenantID, status, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	out := page[memberView]{Items: []memberView{}, NextCursor: next}
	for i := range members {
		out.Items = append(out.Items, viewMember(&members[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// searchMembers answers GET /members?q=: a page of the members found by
// surname, given name, email or employee id (integration.ParseSearch), as
// the rows a search shows.
func (s *Server) searchMembers(w http.ResponseWriter, r *http.Request, p auth.Principal, q string, limit int) error {
	if r.URL.Query().Get("status") != "" {
		return invalid("Search with q or filter by status, not both.", FieldProblem{"status", "not with q"})
	}
	hits, next, err := s.store.SearchMembers(r.Context(), p.TenantID, q, r.URL.Query().Get("cursor"), limit)
	if errors.Is(err, integration.ErrBadQuery) {
		return invalid(fmt.Sprintf("q must hold a letter, a digit or an employee ID, in at most %d bytes.", integration.MaxQuery), FieldProblem{"q", "nothing to search by"})
	}
	if err != nil {
		return err
	}
	out := page[hitView]{Items: []hitView{}, NextCursor: next}
	for i := range hits {
		out.Items = append(out.Items, viewHit(&hits[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getMember(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("employeeId")
	if id == "" || len(id) > 64 {
		return errNotFound
	}
	m, err := s.store.GetMember(r.Context(), p.TenantID, id)
	if errors.Is(err, integration.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewMember(&m))
	return nil
}

// memberLog is a member's provisioning log, newest first: every change a
// run made to them (field, old and new value) and every skip, with the
// reason. Only the tenant's admins reach it.
func (s *Server) memberLog(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("employeeId")
	if id == "" || len(id) > 64 {
		return errNotFound
	}
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	entries, next, err := s.store.MemberLog(r.Context(), p.TenantID, id, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	if len(entries) == 0 && r.URL.Query().Get("cursor") == "" {
		if _, err := s.store.GetMember(r.Context(), p.TenantID, id); err != nil {
			return err // no member, no log: 404
		}
	}
	out := page[integration.LogEntry]{Items: entries, NextCursor: next}
	if out.Items == nil {
		out.Items = []integration.LogEntry{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
