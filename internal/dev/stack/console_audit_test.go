package stack_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// The dashboard's charts of members by status and of the imports of the
// last 90 days, each an SVG described by a table of its numbers; then an
// export of the members asked for on the exports page, its progress shown,
// its file downloaded through the link and read; the audit trail lists the
// export, and the trail's own export holds it too.
func TestConsoleChartsExportsAndAuditTrail(t *testing.T) {
	ctx := context.Background()
	const tenantID, admin = "auditco", "admin@auditco.example"
	st, base, importNow := consoleTenant(t, tenantID, "Auditco Perks")
	importNow(integration.StatusSucceededWithErrors)
	last := importNow(integration.StatusSucceededWithErrors)
	if last.Members == nil || last.Members.Members == 0 {
		t.Fatalf("the last import counted %+v", last.Members)
	}
	totals := last.Members
	token, err := st.Token(tenantID, admin)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(mustZone(t)).Format("2006-01-02")

	p := newPage(t)
	p.do("open the console", chromedp.Navigate(base+"/#token="+token))
	p.step("the members chart", chromedp.WaitReady(chromedp.CSS(`#members-svg rect.status-invited`)))
	p.step("the imports chart", chromedp.WaitReady(chromedp.CSS(`#imports-svg rect.chart-bar`)))
	for _, chart := range []string{"members", "imports"} {
		if !eval[bool](p, `(() => { const svg = document.getElementById('`+chart+`-svg'), t = document.getElementById('`+chart+`-table');
		  return svg.getAttribute('role') === 'img' && svg.getAttribute('aria-describedby') === '`+chart+`-table' && !!svg.querySelector('title').textContent &&
		    !!t && t.querySelector('caption').textContent.includes('last 90 days') && t.querySelectorAll('thead th[scope=col]').length > 2 &&
		    [...t.querySelectorAll('tbody tr')].every((r) => r.querySelector('th[scope=row]')); })()`) {
			t.Errorf("the %s chart is not an image described by a captioned table with headers", chart)
		}
	}
	if got := eval[[]string](p, `[...document.querySelectorAll('#members-svg rect.status-invited')].map((r) => r.previousSibling.dataset.day)`); !slices.Contains(got, today) {
		t.Errorf("the members chart's bars are for %q, none for today %s", got, today)
	}
	if got := eval[string](p, `[...document.querySelectorAll('#members-svg rect[data-day]')].map((r) => r.getAttribute('class')).join(' ')`); !strings.Contains(got, "status-active") {
		t.Errorf("the members chart's bars: %q", got)
	}
	// The demo's records have errors: both imports succeeded with them.
	if last.Status != integration.StatusSucceededWithErrors {
		t.Fatalf("the last import %s", last.Status)
	}
	if got := eval[[]string](p, `[...document.querySelectorAll('#imports-svg rect.chart-bar')].map((r) => r.dataset.day + ' ' + r.getAttribute('class'))`); !slices.Equal(got, []string{today + " chart-bar outcome-succeeded_with_errors"}) {
		t.Errorf("the imports chart's bars: %q", got)
	}
	if n := eval[int](p, `document.querySelectorAll('#imports-svg circle.chart-dot').length`); n != 1 {
		t.Errorf("%d duration dots, want 1", n)
	}
	p.checkA11y("dashboard with its charts")
	p.shot("01-dashboard-charts")

	// The numbers, opened from their disclosures.
	p.do("open the members numbers", chromedp.Click(chromedp.CSS(`#members-table-numbers summary`)))
	p.do("open the imports numbers", chromedp.Click(chromedp.CSS(`#imports-table-numbers summary`)))
	p.step("the tables shown", chromedp.WaitVisible(chromedp.ID("members-table")), chromedp.WaitVisible(chromedp.ID("imports-table")))
	invited := totals.Members - totals.Joined
	if got, want := eval[string](p, `[...document.querySelectorAll('#members-table tbody tr')].map((r) => r.dataset.day + ':' + [...r.querySelectorAll('td')].map((c) => c.textContent).join('/')).join(' ')`),
		today+":"+strconv.Itoa(totals.Joined)+"/"+strconv.Itoa(invited)+"/"+strconv.Itoa(totals.Members); got != want {
		t.Errorf("the members table: %q, want %q", got, want)
	}
	if got := eval[string](p, `[...document.querySelectorAll('#imports-table tbody tr')].map((r) => r.dataset.day + ':' + [...r.querySelectorAll('td')].slice(0, 2).map((c) => c.textContent).join('/')).join(' ')`); got != today+":2/2 succeeded with errors" {
		t.Errorf("the imports table: %q, want 2 imports of today, both succeeded", got)
	}
	p.checkA11y("dashboard with the charts' tables")
	p.shot("02-dashboard-chart-tables")

	// The members export: its progress, then its link; the file read.
	p.do("go to exports", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav=audit]`)))
	// The tenant was set up by the stack, not through the API: no admin
	// action is in the trail yet.
	p.step("the exports page", chromedp.WaitVisible(chromedp.ID("export-members")), chromedp.WaitVisible(chromedp.ID("audit-empty")))
	p.checkA11y("exports page")
	p.shot("03-exports-page")
	p.do("export the members", chromedp.Click(chromedp.ID("export-members")))
	p.step("the export is ready", chromedp.WaitVisible(chromedp.ID("export-link")))
	rows := totals.Members + countLeavers(mustMembers(t, st, tenantID))
	if got, want := p.text("#export-count"), strconv.Itoa(rows)+" of "+strconv.Itoa(rows)+" rows written"; got != want {
		t.Errorf("the progress says %q, want %q", got, want)
	}
	if !eval[bool](p, `(() => { const b = document.getElementById('export-progress'); return b.max === `+strconv.Itoa(rows)+` && b.value === b.max; })()`) {
		t.Error("the progress bar is not full")
	}
	if eval[string](p, `document.activeElement.id`) != "export-link" {
		t.Error("the link does not have the focus")
	}
	p.checkA11y("export ready")
	p.shot("04-export-ready")
	file := download(t, eval[string](p, `document.getElementById('export-link').href`))
	if len(file) != rows+1 {
		t.Fatalf("the file has %d lines, want a header and %d members", len(file), rows)
	}
	if want := []string{"employeeId", "email", "firstName", "lastName"}; !slices.Equal(file[0][:4], want) || !slices.Equal(file[0][len(file[0])-5:], []string{"status", "invited", "joined", "left", "purge"}) {
		t.Errorf("the file's header %q", file[0])
	}
	byID := map[string][]string{}
	for _, r := range file[1:] {
		byID[r[0]] = r
	}
	for _, m := range mustMembers(t, st, tenantID) {
		r, ok := byID[m.EmployeeID()]
		if !ok || r[1] != m.Email() || r[len(r)-5] != string(m.Status) || r[len(r)-2] != m.LeftOn {
			t.Errorf("member %s in the file: %q", m.EmployeeID(), r)
		}
	}

	// The trail lists the export, by the admin; the exports list has it.
	p.waitFor("the export in the trail", `document.querySelector('#audit-table tr[data-action="export.requested"]')`, 10*time.Second)
	if got := p.text(`#audit-table tr[data-action="export.requested"]`); !strings.Contains(got, admin) || !strings.Contains(got, "Export asked for") || !strings.Contains(got, "members (CSV)") {
		t.Errorf("the trail's export row: %q", got)
	}
	if got := p.text(`#exports-table tbody tr`); !strings.Contains(got, "Members") || !strings.Contains(got, "Ready") || !strings.Contains(got, admin) {
		t.Errorf("the exports list: %q", got)
	}
	p.checkA11y("trail with the export")
	p.shot("05-trail-lists-the-export")

	// The trail's own export holds the members export.
	p.do("export the trail", chromedp.Click(chromedp.ID("export-audit")))
	p.waitFor("the trail's export", `document.getElementById('export-link') && document.getElementById('export-link').textContent.includes('audit trail')`, 30*time.Second)
	trail := download(t, eval[string](p, `document.getElementById('export-link').href`))
	if !slices.Equal(trail[0], []string{"at", "admin", "action", "detail"}) || len(trail) < 3 {
		t.Fatalf("the trail's file: %q", trail)
	}
	var actions []string
	for _, r := range trail[1:] {
		actions = append(actions, r[2]+" by "+r[1])
	}
	if !slices.Contains(actions, "export.requested by "+admin) || trail[1][2] != "export.requested" || !strings.HasPrefix(trail[1][3], "audit (CSV)") {
		t.Errorf("the trail's file, newest first: %q", trail)
	}
	p.shot("06-trail-exported")

	// The provisioning log of today as JSON lines: every line of the two
	// imports, by import then employee id.
	p.waitFor("the buttons free again", `!document.getElementById('export-log').disabled`, 10*time.Second)
	p.do("choose JSON lines", chromedp.SetValue(chromedp.ID("log-format"), "jsonl"))
	p.do("export the log", chromedp.Click(chromedp.ID("export-log")))
	p.waitFor("the log's export", `document.getElementById('export-link') && document.getElementById('export-link').textContent.includes('provisioning log')`, 30*time.Second)
	if got := p.text("#export-link"); !strings.Contains(got, "JSON lines") {
		t.Errorf("the log's link: %q", got)
	}
	p.waitFor("the log's export listed", `document.querySelectorAll('#exports-table tbody tr').length === 3 && document.querySelectorAll('#audit-table tbody tr').length === 3`, 10*time.Second)
	if got := p.text(`#exports-table tbody tr`); !strings.Contains(got, "Provisioning log") || !strings.Contains(got, "JSON lines") {
		t.Errorf("the newest export listed: %q", got)
	}
	p.checkA11y("log exported")
	p.shot("07-log-exported")
	resp, err := http.Get(eval[string](p, `document.getElementById('export-link').href`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-ndjson") {
		t.Errorf("the log's file is %s", resp.Header.Get("Content-Type"))
	}
	var lines []integration.LogEntry
	for dec := json.NewDecoder(resp.Body); dec.More(); {
		var l integration.LogEntry
		if err := dec.Decode(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if !slices.IsSortedFunc(lines, integration.PeriodOrder) || len(lines) == 0 || lines[0].RunID == lines[len(lines)-1].RunID {
		t.Errorf("%d lines, not of both imports in order", len(lines))
	}
	want := 0
	for _, m := range mustMembers(t, st, tenantID) {
		entries, _, err := st.Store.MemberLog(ctx, tenantID, m.EmployeeID(), "", 100)
		if err != nil {
			t.Fatal(err)
		}
		want += len(entries)
	}
	creates := 0
	for _, l := range lines {
		if l.Action == "create" {
			creates++
		}
	}
	if creates != totals.Members || len(lines) < want {
		t.Errorf("the log has %d creates (want %d) and %d lines (the members' logs have %d)", creates, totals.Members, len(lines), want)
	}
}

// download fetches a pre-signed link as the browser would, and reads the
// CSV it serves.
func download(t *testing.T, link string) [][]string {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("the link answered %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func mustMembers(t *testing.T, st *stack.Stack, tenant string) []engine.Member {
	t.Helper()
	ms, err := st.Store.Members(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}
