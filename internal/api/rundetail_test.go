package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/files"
	"github.com/peoplesync/peoplesync/internal/integration"
)

type issuesPage struct {
	Items []struct {
		Row        int             `json:"row"`
		EmployeeID string          `json:"employeeId"`
		Field      string          `json:"field"`
		Message    string          `json:"message"`
		Severity   engine.Severity `json:"severity"`
	} `json:"items"`
	NextCursor string `json:"nextCursor"`
}

// run records a finished run of tenant; with issues, its error file too,
// as the worker writes it.
func (e *env) finishedRun(t *testing.T, tenant, runID string, issues []engine.Issue) {
	t.Helper()
	r := &integration.Run{TenantID: tenant, RunID: runID, Status: integration.StatusSucceeded, QueuedAt: e.clk.Now()}
	if len(issues) > 0 {
		key, err := files.NewStore(e.files, "errors-bucket").Put(context.Background(), tenant, runID, issues)
		if err != nil {
			t.Fatal(err)
		}
		r.Status, r.ErrorFileKey = integration.StatusSucceededWithErrors, key
	}
	if err := e.store.CreateRun(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

// The import page's issues are the error file's rows, a page at a time,
// errors first, each severity on its own when asked.
func TestAnImportsIssuesArePagedAndFiltered(t *testing.T) {
	e := newEnv(t, staff())
	const runID = "20260310T080000000000Z-aaaaaaaa"
	var issues []engine.Issue
	for i := range 5 {
		sev := engine.SeverityError
		if i%2 == 1 {
			sev = engine.SeverityWarning
		}
		issues = append(issues, engine.Issue{Row: i + 2, EmployeeID: fmt.Sprintf("E%d", i), Field: "email", Message: fmt.Sprintf("=problem %d", i), Severity: sev})
	}
	e.finishedRun(t, "acme", runID, issues)
	e.finishedRun(t, "acme", "20260310T070000000000Z-cccccccc", nil)

	read := func(query string) (rows []string) {
		t.Helper()
		cursor := ""
		for pages := 0; ; pages++ {
			var p issuesPage
			path := "/imports/" + runID + "/issues?limit=2" + query
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			e.call(t, "acme", http.MethodGet, path, "", http.StatusOK, &p)
			if len(p.Items) > 2 || pages > 5 {
				t.Fatalf("%s: page %d of %d items", path, pages, len(p.Items))
			}
			for _, it := range p.Items {
				rows = append(rows, fmt.Sprintf("%d %s %s %s %s", it.Row, it.EmployeeID, it.Field, it.Message, it.Severity))
			}
			if cursor = p.NextCursor; cursor == "" {
				return rows
			}
		}
	}
	row := func(i int) string {
		is := issues[i]
		return fmt.Sprintf("%d %s %s %s %s", is.Row, is.EmployeeID, is.Field, is.Message, is.Severity)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{row(0), row(2), row(4), row(1), row(3)}},
		{"&severity=error", []string{row(0), row(2), row(4)}},
		{"&severity=warning", []string{row(1), row(3)}},
	} {
		if got := read(tc.query); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q: %q, want %q", tc.query, got, tc.want)
		}
	}

	var none issuesPage
	e.call(t, "acme", http.MethodGet, "/imports/20260310T070000000000Z-cccccccc/issues", "", http.StatusOK, &none)
	if len(none.Items) != 0 || none.NextCursor != "" {
		t.Errorf("a run without issues: %+v", none)
	}
	var bad apiError
	e.call(t, "acme", http.MethodGet, "/imports/"+runID+"/issues?severity=fatal", "", http.StatusBadRequest, &bad)
	if bad.Error.Details[0].Field != "severity" {
		t.Errorf("a bad severity: %+v", bad)
	}
	e.call(t, "acme", http.MethodGet, "/imports/"+runID+"/issues?cursor=bm9wZQ", "", http.StatusBadRequest, &bad)
	if bad.Error.Details[0].Field != "cursor" {
		t.Errorf("a bad cursor: %+v", bad)
	}
	e.call(t, "acme", http.MethodGet, "/imports/"+runID+"/issues?limit=0", "", http.StatusBadRequest, nil)
	e.call(t, "acme", http.MethodGet, "/imports/20260310T060000000000Z-dddddddd/issues", "", http.StatusNotFound, nil)

	// A run recorded before issues were kept as lines has its CSV only.
	old := &integration.Run{TenantID: "acme", RunID: "20260301T080000000000Z-eeeeeeee", Status: integration.StatusSucceededWithErrors,
		ErrorFileKey: files.Key("acme", "20260301T080000000000Z-eeeeeeee")}
	if err := e.store.CreateRun(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	e.call(t, "acme", http.MethodGet, "/imports/"+old.RunID+"/issues", "", http.StatusNotFound, &bad)
	if bad.Error.Code != "no_issue_list" {
		t.Errorf("an old run: %+v", bad)
	}
}

type changesPage struct {
	Counts map[string]int `json:"counts"`
	Items  []struct {
		Action       string        `json:"action"`
		Row          int           `json:"row"`
		EmployeeID   string        `json:"employeeId"`
		Name         string        `json:"name"`
		StatusBefore engine.Status `json:"statusBefore"`
		Status       engine.Status `json:"status"`
		LeftOn       string        `json:"leftOn"`
		Fields       []struct {
			Field, Before, After string
		} `json:"fields"`
	} `json:"items"`
	NextCursor string `json:"nextCursor"`
}

func member(id, first, job string, status engine.Status) engine.Member {
	m := engine.Member{Status: status, Version: 2}
	m.Values.Set(engine.EmployeeID, id)
	m.Values.Set(engine.Email, id+"@acme.example")
	m.Values.Set(engine.FirstName, first)
	m.Values.Set(engine.LastName, "Smith")
	m.Values.Set(engine.JobTitle, job)
	return m
}

// heldRun records a held run of tenant with its plan: closures, an update
// and a create, out of their groups' order.
func (e *env) heldRun(t *testing.T, tenant, runID string) {
	t.Helper()
	var plan []engine.Change
	for i := range 3 {
		before := member(fmt.Sprintf("L%d", i), "Leaver", "Clerk", engine.StatusActive)
		after := before
		after.Status, after.LeftOn = engine.StatusLeaver, "2026-03-09"
		plan = append(plan, engine.Change{Kind: engine.KindClose, Row: 0, Before: &before, After: after})
		if i == 1 {
			b, a := member("U1", "Ann", "Analyst", engine.StatusActive), member("U1", "Ann", "Lead analyst", engine.StatusActive)
			plan = append(plan, engine.Change{Kind: engine.KindUpdate, Row: 4, Before: &b, After: a, Fields: []engine.Field{engine.JobTitle}})
		}
	}
	hire := member("N1", "Noor", "Engineer", engine.StatusInvited)
	plan = append(plan, engine.Change{Kind: engine.KindCreate, Row: 7, After: hire, Fields: []engine.Field{engine.EmployeeID, engine.Email, engine.FirstName}})
	ctx := context.Background()
	if err := e.store.SaveHeldPlan(ctx, tenant, runID, plan); err != nil {
		t.Fatal(err)
	}
	r := &integration.Run{TenantID: tenant, RunID: runID, Status: integration.StatusHeld, QueuedAt: e.clk.Now().Add(-time.Minute),
		Counts: engine.Counts{Closed: 3, Updated: 1, Created: 1}}
	if err := e.store.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
}

// A held import's page shows what it would change, grouped by action,
// field by field, a page at a time.
func TestAHeldImportsChangesAreGroupedAndPaged(t *testing.T) {
	e := newEnv(t, staff())
	const held = "20260310T085000000000Z-bbbbbbbb"
	e.heldRun(t, "acme", held)

	var p changesPage
	e.call(t, "acme", http.MethodGet, "/imports/"+held+"/changes?limit=2", "", http.StatusOK, &p)
	if fmt.Sprint(p.Counts) != "map[close:3 create:1 reactivate:0 relink:0 update:1]" {
		t.Errorf("counts %v", p.Counts)
	}
	var order []string
	for cursor := ""; ; {
		path := "/imports/" + held + "/changes?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		e.call(t, "acme", http.MethodGet, path, "", http.StatusOK, &p)
		for _, it := range p.Items {
			order = append(order, it.Action+" "+it.EmployeeID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if fmt.Sprint(order) != "[close L0 close L1 close L2 update U1 create N1]" {
		t.Errorf("changes in the order %v", order)
	}

	e.call(t, "acme", http.MethodGet, "/imports/"+held+"/changes?action=update", "", http.StatusOK, &p)
	if len(p.Items) != 1 || p.NextCursor != "" {
		t.Fatalf("updates %+v", p)
	}
	u := p.Items[0]
	if u.Row != 4 || u.Name != "Ann Smith" || len(u.Fields) != 1 || u.Fields[0].Field != "jobTitle" || u.Fields[0].Before != "Analyst" || u.Fields[0].After != "Lead analyst" {
		t.Errorf("the update %+v", u)
	}
	e.call(t, "acme", http.MethodGet, "/imports/"+held+"/changes?action=close&limit=1", "", http.StatusOK, &p)
	if len(p.Items) != 1 || p.NextCursor == "" || p.Items[0].StatusBefore != engine.StatusActive || p.Items[0].Status != engine.StatusLeaver || p.Items[0].LeftOn != "2026-03-09" {
		t.Errorf("the first closure %+v", p)
	}
	e.call(t, "acme", http.MethodGet, "/imports/"+held+"/changes?action=create", "", http.StatusOK, &p)
	if c := p.Items[0]; c.StatusBefore != "" || len(c.Fields) != 3 || c.Fields[1].Before != "" || c.Fields[1].After != "N1@acme.example" {
		t.Errorf("the create %+v", c)
	}

	var bad apiError
	e.call(t, "acme", http.MethodGet, "/imports/"+held+"/changes?action=delete", "", http.StatusBadRequest, &bad)
	if bad.Error.Details[0].Field != "action" {
		t.Errorf("a bad action: %+v", bad)
	}
	for _, c := range []string{"bm9wZQ", "cDE6OTk"} { // "nope", p1:99 past the end
		e.call(t, "acme", http.MethodGet, "/imports/"+held+"/changes?cursor="+c, "", http.StatusBadRequest, &bad)
		if bad.Error.Details[0].Field != "cursor" {
			t.Errorf("cursor %s: %+v", c, bad)
		}
	}
	e.finishedRun(t, "acme", "20260310T070000000000Z-cccccccc", nil)
	e.call(t, "acme", http.MethodGet, "/imports/20260310T070000000000Z-cccccccc/changes", "", http.StatusNotFound, &bad)
	if bad.Error.Code != "no_held_plan" {
		t.Errorf("a finished run: %+v", bad)
	}
}

// Another tenant's admin, given the first tenant's run ids, reads neither
// its issues nor its plan, even holding a run of the same id.
func TestAnotherTenantReadsNoIssuesAndNoPlan(t *testing.T) {
	e := newEnv(t, staff())
	const runID, held = "20260310T080000000000Z-aaaaaaaa", "20260310T085000000000Z-bbbbbbbb"
	e.finishedRun(t, "acme", runID, []engine.Issue{{Row: 2, EmployeeID: "E1", Message: "secret", Severity: engine.SeverityError}})
	e.heldRun(t, "acme", held)
	for _, path := range []string{"/imports/" + runID + "/issues", "/imports/" + held + "/changes"} {
		e.call(t, "globex", http.MethodGet, path, "", http.StatusNotFound, nil)
	}
	// globex's own run of the same id has no error file: it reads none of acme's.
	if err := e.store.CreateRun(context.Background(), &integration.Run{TenantID: "globex", RunID: runID, Status: integration.StatusSucceededWithErrors,
		ErrorFileKey: files.Key("globex", runID)}); err != nil {
		t.Fatal(err)
	}
	e.call(t, "globex", http.MethodGet, "/imports/"+runID+"/issues", "", http.StatusNotFound, nil)
	// A held run of globex with acme's id reads globex's plan: none.
	if err := e.store.CreateRun(context.Background(), &integration.Run{TenantID: "globex", RunID: held, Status: integration.StatusHeld}); err != nil {
		t.Fatal(err)
	}
	var p changesPage
	e.call(t, "globex", http.MethodGet, "/imports/"+held+"/changes", "", http.StatusOK, &p)
	if len(p.Items) != 0 {
		t.Errorf("globex read %d of acme's planned changes", len(p.Items))
	}
}

// A run's phases end when the next begins, the last when the run
// finished, or not yet.
func TestARunsPhasesAreTimed(t *testing.T) {
	e := newEnv(t, staff())
	at := func(s int) time.Time { return e.clk.Now().Add(time.Duration(s) * time.Second) }
	for _, r := range []*integration.Run{
		{TenantID: "acme", RunID: "20260310T080000000000Z-aaaaaaaa", Status: integration.StatusSucceeded, FinishedAt: at(9),
			Phases: []integration.PhaseTime{{Phase: integration.PhaseFetching, StartedAt: at(1)}, {Phase: integration.PhasePlanning, StartedAt: at(4)}, {Phase: integration.PhaseApplying, StartedAt: at(5)}}},
		{TenantID: "acme", RunID: "20260310T090000000000Z-bbbbbbbb", Status: integration.StatusRunning,
			Phases: []integration.PhaseTime{{Phase: integration.PhaseFetching, StartedAt: at(1)}}},
		{TenantID: "acme", RunID: "20260310T100000000000Z-cccccccc", Status: integration.StatusSucceeded, FinishedAt: at(9)},
	} {
		if err := e.store.CreateRun(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	for id, want := range map[string]string{
		"20260310T080000000000Z-aaaaaaaa": "fetching 09:00:01-09:00:04 planning 09:00:04-09:00:05 applying 09:00:05-09:00:09 ",
		"20260310T090000000000Z-bbbbbbbb": "fetching 09:00:01-null ",
		"20260310T100000000000Z-cccccccc": "",
	} {
		var run struct {
			Phases []struct {
				Phase     string     `json:"phase"`
				StartedAt time.Time  `json:"startedAt"`
				EndedAt   *time.Time `json:"endedAt"`
			} `json:"phases"`
		}
		rec := e.call(t, "acme", http.MethodGet, "/imports/"+id, "", http.StatusOK, &run)
		got := ""
		for _, p := range run.Phases {
			end := "null"
			if p.EndedAt != nil {
				end = p.EndedAt.Format(time.TimeOnly)
			}
			got += p.Phase + " " + p.StartedAt.Format(time.TimeOnly) + "-" + end + " "
		}
		if got != want || !strings.Contains(rec.Body.String(), `"phases":[`) {
			t.Errorf("%s: phases %q, want %q (%s)", id, got, want, rec.Body)
		}
	}
}
