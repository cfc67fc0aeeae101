package stack_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// An import's page, in a real browser: the dashboard's last import links
// to its errors and warnings, which are the error file's rows (read off
// the screen, every page, and compared with the CSV), filtered by
// severity; the time each phase took, drawn and in a table. A held
// import's page lists what it would close, field by field, read before it
// is approved.
func TestConsoleImportPage(t *testing.T) {
	ctx := context.Background()
	const tenantID = "pageco"
	st, base, importNow := consoleTenant(t, tenantID, "Pageco Perks")
	// 30 records more with a bad email: the issues take two pages.
	st.Sandbox.Update(func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
		es = append([]peoplehrtest.Employee(nil), es...)
		for i := range 30 {
			es = append(es, peoplehrtest.Employee{EmployeeID: fmt.Sprintf("BAD%02d", i), FirstName: "Bad", LastName: "Address",
				EmailID: fmt.Sprintf("bad%02d.example", i), StartDate: "2020-01-06", EmployeeStatus: peoplehrtest.ActiveStatus})
		}
		return es
	})
	first := importNow(integration.StatusSucceededWithErrors)
	token, err := st.Token(tenantID, "admin@pageco.example")
	if err != nil {
		t.Fatal(err)
	}

	// The error file as the download has it: row, employee, message, severity.
	fromCSV := errorFileRows(t, base, token, first.RunID)
	if len(fromCSV) != first.Counts.Errors+first.Counts.Warnings || first.Counts.Errors == 0 || first.Counts.Warnings == 0 {
		t.Fatalf("the error file has %d rows for %d errors and %d warnings: the demo should have both", len(fromCSV), first.Counts.Errors, first.Counts.Warnings)
	}

	// The route the page reads answers as documented.
	var bodies bytes.Buffer
	var issues struct {
		Items      []struct{ Severity string }
		NextCursor string
	}
	newClient(t, st, base, tenantID, "admin@pageco.example", &bodies).must(200, "GET", "/imports/"+first.RunID+"/issues?severity=warning&limit=5", nil, &issues)
	if len(issues.Items) != first.Counts.Warnings || issues.Items[0].Severity != "warning" || issues.NextCursor != "" {
		t.Errorf("the warnings over HTTP: %+v", issues)
	}

	p := newPage(t)
	p.do("open the console", chromedp.Navigate(base+"/#token="+token))
	p.step("the last import's issues link", chromedp.WaitVisible(chromedp.ID("status-last-issues")))
	p.shot("01-dashboard")
	p.do("follow it", chromedp.Click(chromedp.ID("status-last-issues")))
	p.step("the issues", chromedp.WaitVisible(chromedp.ID("issues-table")))
	p.waitFor("the focus on the issues", `document.activeElement && document.activeElement.id === 'issues-title'`, 10*time.Second)
	if got := eval[string](p, `location.hash`); got != "#/imports/"+first.RunID+"/issues" {
		t.Errorf("the link went to %q", got)
	}
	p.checkA11y("import page with issues")
	p.shot("02-issues")

	// Every page of them, as shown, is the error file, errors first.
	var onScreen []string
	page := 1
	for ; ; page++ {
		onScreen = append(onScreen, issueRowsOnScreen(p)...)
		if eval[bool](p, `document.getElementById('issues-older').disabled`) {
			break
		}
		p.do("more issues", chromedp.Click(chromedp.ID("issues-older")))
		p.waitFor("the next page", `document.getElementById('issues-position').textContent.startsWith('Page `+strconv.Itoa(page+1)+`')`, 10*time.Second)
		if page == 1 {
			p.shot("03-issues-page-2")
		}
	}
	if page != 2 {
		t.Errorf("%d issues on %d pages, want 2 of up to 25", len(onScreen), page)
	}
	if !slices.Equal(sorted(onScreen), sorted(fromCSV)) {
		t.Errorf("on screen:\n%s\nin the error file:\n%s", strings.Join(onScreen, "\n"), strings.Join(fromCSV, "\n"))
	}
	firstWarning := slices.IndexFunc(onScreen, func(r string) bool { return strings.HasSuffix(r, "|warning") })
	if firstWarning != first.Counts.Errors {
		t.Errorf("the first warning is row %d of the list, after %d errors", firstWarning, first.Counts.Errors)
	}

	// Only the warnings, then only the errors: the filter is a labelled select.
	for _, sev := range []string{"warning", "error"} {
		p.do("filter "+sev, chromedp.SetValue(chromedp.ID("issues-severity"), sev), chromedp.Click(chromedp.ID("issues-show")))
		p.waitFor(sev+"s only", `[...document.querySelectorAll('#issues-table tbody tr')].every((tr) => tr.dataset.severity === '`+sev+`') && document.getElementById('issues-position').textContent.startsWith('Page 1')`, 10*time.Second)
		want := first.Counts.Warnings
		if sev == "error" {
			want = first.Counts.Errors
		}
		if n := eval[int](p, `document.querySelectorAll('#issues-table tbody tr').length`); n != min(want, 25) {
			t.Errorf("%ss on the first page: %d, want %d", sev, n, min(want, 25))
		}
		if sev == "warning" {
			p.shot("04-warnings-only")
		}
	}
	if got := eval[string](p, `document.querySelector('label[for=issues-severity]').textContent`); got != "Show" {
		t.Errorf("the filter's label: %q", got)
	}

	// The phases: one segment each in the bar, one row each in the table.
	p.step("the phases", chromedp.WaitVisible(chromedp.ID("phases-table")))
	phases := eval[[]string](p, `[...document.querySelectorAll('#phases-table tbody tr')].map((tr) => tr.dataset.phase)`)
	segments := eval[[]string](p, `[...document.querySelectorAll('#phases-svg rect[data-phase]')].map((r) => r.dataset.phase)`)
	want := []string{"fetching", "planning", "applying", "emailing"}
	if !slices.Equal(phases, want) || !slices.Equal(segments, want) {
		t.Errorf("phases in the table %q, in the bar %q, want %q", phases, segments, want)
	}
	if got := p.text(`#phases-table tr[data-phase="fetching"] th`); got != "Reading employees from PeopleHR" {
		t.Errorf("the fetching phase reads %q", got)
	}
	p.do("scroll to the phases", chromedp.ScrollIntoView(chromedp.ID("phases")))
	p.shot("05-phases")

	// A held import: what it would close, read on its page, then approved.
	members, err := st.Store.Members(ctx, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	var leaving []string
	for _, m := range members {
		if len(leaving) < 8 && m.Status == engine.StatusInvited {
			leaving = append(leaving, m.Values.Get(engine.EmployeeID))
		}
	}
	left := time.Now().AddDate(0, 0, -2).Format(time.DateOnly)
	st.Sandbox.Update(func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
		es = append([]peoplehrtest.Employee(nil), es...)
		for i := range es {
			if slices.Contains(leaving, es[i].EmployeeID) {
				es[i].LeavingDate, es[i].EmployeeStatus, es[i].ReasonForLeaving = left, "Left", "Resigned"
			}
		}
		return es
	})
	held := importNow(integration.StatusHeld)
	eval[string](p, `location.hash = '#/imports/`+held.RunID+`'`)
	p.step("the held diff", chromedp.WaitVisible(chromedp.ID("held-close-table")))
	closing := eval[[]string](p, `[...document.querySelectorAll('#held-close-table tbody tr')].map((tr) => tr.dataset.employee)`)
	if !slices.Equal(sorted(closing), sorted(leaving)) {
		t.Errorf("the diff closes %q, PeopleHR says %q left", closing, leaving)
	}
	// Seen, then heard: the arrow is read as "from ... to ...".
	shown := eval[string](p, `(() => { const td = document.querySelector('#held-close-table tbody tr:first-child td:last-child').cloneNode(true);
	  td.querySelectorAll('.visually-hidden').forEach((el) => el.remove()); return td.textContent; })()`)
	heard := eval[string](p, `document.querySelector('#held-close-table tbody tr:first-child td:last-child li').textContent.replace(/\s+/g, ' ')`)
	if want := "Status: Invited → Leaver, left on " + left; shown != want || !strings.Contains(heard, "from Invited") || !strings.Contains(heard, "to Leaver") {
		t.Errorf("a closure reads %q (heard %q), want %q", shown, heard, want)
	}
	if got := p.text("#held-close-title"); got != "Closed (8)" {
		t.Errorf("the closures' heading: %q", got)
	}
	// The diff comes before the buttons that decide.
	if !eval[bool](p, `!!(document.getElementById('held-changes').compareDocumentPosition(document.querySelector('[data-approve="`+held.RunID+`"]')) & Node.DOCUMENT_POSITION_FOLLOWING)`) {
		t.Error("the approve button comes before the diff")
	}
	p.checkA11y("held import page")
	p.do("scroll to the diff", chromedp.ScrollIntoView(chromedp.ID("held-changes")))
	p.shot("06-held-diff")

	p.do("approve", chromedp.Click(chromedp.CSS(`[data-approve="`+held.RunID+`"]`)))
	p.step("confirm", chromedp.WaitVisible(chromedp.ID("confirm-yes")))
	p.do("confirm", chromedp.Click(chromedp.ID("confirm-yes")))
	p.waitFor("the approval run's page", `location.hash !== '#/imports/`+held.RunID+`' && document.getElementById('import-result')`, 30*time.Second)
	if got := p.text(`#import-counts tr[data-count="closed"] td`); got != "8" {
		t.Errorf("the approval closed %s, want 8", got)
	}
	p.shot("07-approved")
}

// consoleTenant starts the stack on the demo employees with a live tenant
// whose admin is admin@<tenantID>.example, and serves its API at base;
// importNow runs a manual import and requires it to end as want.
func consoleTenant(t *testing.T, tenantID, programme string) (st *stack.Stack, base string, importNow func(want integration.Status) *integration.Run) {
	t.Helper()
	ctx := context.Background()
	st = startWith(t, stack.Options{Employees: peoplehrtest.DemoEmployees(), Log: testLog(t)})
	st.StartConsumers(ctx)
	base = serveAPI(t, st)
	if err := st.SeedTenant(ctx, stack.Tenant{
		ID: tenantID, ProgrammeName: programme, AdminEmail: "admin@" + tenantID + ".example", APIKey: peoplehrtest.DefaultAPIKey,
		Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(),
	}); err != nil {
		t.Fatal(err)
	}
	importNow = func(want integration.Status) *integration.Run {
		t.Helper()
		queued, err := st.Enqueue(ctx, tenantID, integration.TriggerManual)
		if err != nil {
			t.Fatal(err)
		}
		wait, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		run, err := st.WaitFinished(wait, tenantID, queued.RunID)
		if err != nil || run.Status != want {
			t.Fatalf("import %s: %v %+v", queued.RunID, err, run)
		}
		return run
	}
	return st, base, importNow
}

// errorFileRows reads a run's error file through its download link:
// "row|employee id|message|severity" a row.
func errorFileRows(t *testing.T, base, token, runID string) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/imports/"+runID+"/errors", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var link struct{ URL string }
	err = json.NewDecoder(resp.Body).Decode(&link)
	resp.Body.Close()
	if err != nil || link.URL == "" {
		t.Fatalf("error file link: %d %v", resp.StatusCode, err)
	}
	resp, err = http.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(rows) < 1 {
		t.Fatalf("error file: %v", err)
	}
	var out []string
	for _, r := range rows[1:] {
		if strings.HasPrefix(r[1], "'") || strings.HasPrefix(r[3], "'") {
			t.Fatalf("a defused cell in the demo's error file: %q", r) // the comparison below takes cells as they are
		}
		row := r[0]
		if row == "" {
			row = "—"
		}
		out = append(out, row+"|"+r[1]+"|"+r[3]+"|"+r[4])
	}
	return out
}

// issueRowsOnScreen reads the issues table as shown, in the error file's terms.
func issueRowsOnScreen(p *page) []string {
	return eval[[]string](p, `[...document.querySelectorAll('#issues-table tbody tr')].map((tr) => {
	  const c = [...tr.children].map((td) => td.textContent.trim());
	  return [c[0], c[1] === '—' ? '' : c[1], c[3], tr.dataset.severity].join('|');
	})`)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
