package api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// What an import page shows beyond the run's record: its issues, as the
// error file has them, and a held run's plan.

// runIssues pages through the run's errors and warnings, the rows of its
// error file, errors first.
func (s *Server) runIssues(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	severity := engine.Severity(r.URL.Query().Get("severity"))
	if severity != "" && severity != engine.SeverityError && severity != engine.SeverityWarning {
		return invalid("severity must be error or warning.", FieldProblem{"severity", "error|warning"})
	}
	run, err := s.run(r, p)
	if err != nil {
		return err
	}
	out := page[issueRow]{Items: []issueRow{}}
	if run.ErrorFileKey == "" {
		writeJSON(w, http.StatusOK, out) // no issues, so no file
		return nil
	}
	issues, next, err := s.links.Issues(r.Context(), p.TenantID, run.RunID, severity, r.URL.Query().Get("cursor"), limit)
	if errors.Is(err, integration.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: "no_issue_list", Message: "This import was recorded before issues were listed on screen: download the error file to read them."}
	}
	if err != nil {
		return err
	}
	for _, is := range issues {
		out.Items = append(out.Items, issueRow(is))
	}
	out.NextCursor = next
	writeJSON(w, http.StatusOK, out)
	return nil
}

// planActions are a held plan's kinds of change in the order the page
// groups them: the closures first, which are what holds a run.
var planActions = []engine.Kind{engine.KindClose, engine.KindUpdate, engine.KindCreate, engine.KindReactivate, engine.KindRelink}

type fieldChangeView struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

type planChangeView struct {
	Action       engine.Kind       `json:"action"`
	Row          int               `json:"row"`
	EmployeeID   string            `json:"employeeId"`
	Name         string            `json:"name"`
	StatusBefore engine.Status     `json:"statusBefore"`
	Status       engine.Status     `json:"status"`
	LeftOn       string            `json:"leftOn"`
	Fields       []fieldChangeView `json:"fields"`
}

type planPage struct {
	// Counts are the plan's changes by action, every action named.
	Counts     map[engine.Kind]int `json:"counts"`
	Items      []planChangeView    `json:"items"`
	NextCursor string              `json:"nextCursor"`
}

// heldChanges pages through what a held run would change, grouped by
// action (?action= for one group), each change field by field. The plan
// holds mapped fields only, so nothing else can be shown.
func (s *Server) heldChanges(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	action := engine.Kind(r.URL.Query().Get("action"))
	if action != "" && !slices.Contains(planActions, action) {
		return invalid("action must be close, update, create, reactivate or relink.", FieldProblem{"action", "close|update|create|reactivate|relink"})
	}
	from, err := planCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	run, err := s.run(r, p)
	if err != nil {
		return err
	}
	if run.Status != integration.StatusHeld {
		return &Error{Status: http.StatusNotFound, Code: "no_held_plan", Message: "Only a held import keeps the changes it would make."}
	}
	plan, err := s.store.HeldPlan(r.Context(), p.TenantID, run.RunID)
	if err != nil {
		return err
	}
	out := planPage{Counts: map[engine.Kind]int{}, Items: []planChangeView{}}
	var picked []*engine.Change
	for _, kind := range planActions {
		out.Counts[kind] = 0
		for i := range plan {
			if plan[i].Kind != kind {
				continue
			}
			out.Counts[kind]++
			if action == "" || action == kind {
				picked = append(picked, &plan[i])
			}
		}
	}
	if from > len(picked) {
		return integration.ErrBadCursor
	}
	end := min(from+limit, len(picked))
	for _, c := range picked[from:end] {
		out.Items = append(out.Items, viewPlanChange(c))
	}
	if end < len(picked) {
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte("p1:" + strconv.Itoa(end)))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// planCursor reads a held plan page's cursor: the position in the group
// it pages through (a held plan never changes).
func planCursor(c string) (int, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	rest, ok := strings.CutPrefix(string(b), "p1:")
	n, nerr := strconv.Atoi(rest)
	if err != nil || !ok || nerr != nil || n <= 0 {
		return 0, integration.ErrBadCursor
	}
	return n, nil
}

func viewPlanChange(c *engine.Change) planChangeView {
	v := planChangeView{Action: c.Kind, Row: c.Row, EmployeeID: c.EmployeeID(),
		Name:   strings.TrimSpace(c.After.Values.Get(engine.FirstName) + " " + c.After.Values.Get(engine.LastName)),
		Status: c.After.Status, LeftOn: c.After.LeftOn, Fields: []fieldChangeView{}}
	if c.Before != nil {
		v.StatusBefore = c.Before.Status
	}
	for _, f := range c.Fields {
		fc := fieldChangeView{Field: f.String(), After: c.After.Values.Get(f)}
		if c.Before != nil {
			fc.Before = c.Before.Values.Get(f)
		}
		v.Fields = append(v.Fields, fc)
	}
	return v
}
