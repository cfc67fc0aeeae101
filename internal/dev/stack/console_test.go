package stack_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

const errorFileHeader = "row,employee id,field,message,severity"

// A new tenant's admin, in a real browser: the four setup steps (a bad key
// and a mapping without email first), publish, Import data now with its
// progress bar moving to done, the error file downloaded, the run in the
// history, pause and revoke. A settings save, a pause and a revoke made
// after another admin saved are each refused, say so and reload. Screenshots
// of every page go to screenshots/.
func TestConsoleWizardImportAndHistory(t *testing.T) {
	// A stack with fixed egress, whose address the key step shows.
	st := startWith(t, stack.Options{Employees: peoplehrtest.DemoEmployees(), Log: testLog(t), EgressIP: "203.0.113.7"})
	st.StartConsumers(context.Background())
	base := serveAPI(t, st)
	token, err := st.Token("newco", "admin@newco.example")
	if err != nil {
		t.Fatal(err)
	}
	// Another admin of the tenant, saving through the API while the
	// console has the integration on screen.
	other := newClient(t, st, base, "newco", "hr@newco.example", &bytes.Buffer{})
	p := newPage(t)

	// Signing in: the token moves from the address to the tab's session.
	p.do("open the console", chromedp.Navigate(base+"/#token="+token))
	p.step("dashboard", chromedp.WaitVisible(chromedp.ID("continue-setup")))
	if loc, err := chromedp.Run(p.ctx, chromedp.Location()); err != nil || strings.Contains(loc, "token") {
		t.Errorf("the token stays in the address: %q %v", loc, err)
	}
	if !eval[bool](p, `sessionStorage.getItem('peoplesync.token') !== null && localStorage.length === 0`) {
		t.Error("the token is not in sessionStorage alone")
	}
	if got := p.text("#who-email"); got != "admin@newco.example" {
		t.Errorf("signed in as %q", got)
	}
	p.checkA11y("dashboard of a new tenant")
	p.shot("01-dashboard-new-tenant")

	// Step 1: a threshold the API refuses, named beside its field, then a
	// weekly schedule.
	p.do("start the setup", chromedp.Click(chromedp.ID("continue-setup")))
	p.step("settings form", chromedp.WaitVisible(chromedp.ID("settings-form")))
	if eval[bool](p, `document.getElementById('weekday-field').hidden === false`) {
		t.Error("the weekday shows for a daily schedule")
	}
	p.do("fill the settings", fillSettings("HR@newco.example\nnot an email", "0")...)
	p.step("field errors", chromedp.WaitVisible(chromedp.ID("massChangeThresholdPercent-error")))
	if got := p.text("#massChangeThresholdPercent-error"); !strings.Contains(got, "whole number from 1 to 100") {
		t.Errorf("threshold error: %q", got)
	}
	if got := p.text("#summaryRecipients-error"); !strings.Contains(got, "not a valid email address") {
		t.Errorf("recipients error: %q", got)
	}
	if !eval[bool](p, `document.activeElement.classList.contains('error-summary') && document.getElementById('massChangeThresholdPercent').getAttribute('aria-invalid') === 'true'`) {
		t.Error("the error summary does not take the focus, or the field is not marked invalid")
	}
	p.checkA11y("settings with errors")
	p.shot("02-settings-errors")

	// Another admin saves the settings after this page read them: the
	// fixed settings are refused as stale, and a reload shows theirs.
	saveBehind(t, other, "07:45")
	p.do("fix the settings",
		chromedp.SetValue(chromedp.ID("summaryRecipients"), "HR@newco.example"),
		chromedp.SetValue(chromedp.ID("massChangeThresholdPercent"), "10"),
		chromedp.Click(chromedp.ID("save-settings")),
	)
	p.seeConflict("settings", "03-settings-conflict")
	if n := eval[int](p, `document.querySelectorAll('#settings-form .field-error, #settings-form .error-summary, #settings-form [aria-invalid]').length`); n != 0 {
		t.Errorf("the errors of the first try stay beside the conflict: %d", n)
	}
	if in, err := st.Store.GetIntegration(context.Background(), "newco"); err != nil || in.Settings.TimeOfDay != "07:45" {
		t.Errorf("the stale save overwrote the other admin's settings: %+v %v", in, err)
	}
	p.do("reload", chromedp.Click(chromedp.ID("conflict-reload")))
	p.waitFor("the other admin's settings", `!document.getElementById('conflict-reload') && document.getElementById('timeOfDay').value === '07:45'`, 10*time.Second)
	p.do("the settings again", fillSettings("HR@newco.example", "10")...)

	// Step 2: the key in a modal, masked; Escape closes it and the focus
	// goes back; a bad key, then the sandbox's.
	p.step("authorize step", chromedp.WaitVisible(chromedp.ID("open-key-dialog")))
	if got := p.text("#egress-ip"); !strings.Contains(got, "allow 203.0.113.7:") {
		t.Errorf("the key step's help on IP-restricted keys: %q", got)
	}
	p.checkA11y("authorize")
	p.shot("04-authorize")
	p.do("open the key dialog", chromedp.Click(chromedp.ID("open-key-dialog")))
	p.step("key dialog", chromedp.WaitVisible(chromedp.ID("apiKey")))
	if !eval[bool](p, `document.getElementById('key-dialog').open && document.activeElement.id === 'apiKey' && document.getElementById('apiKey').type === 'password'`) {
		t.Error("the key dialog is not modal with the focus on a masked field")
	}
	p.do("escape", chromedp.KeyEvent(kb.Escape))
	p.waitFor("the dialog to close", `!document.getElementById('key-dialog') && document.activeElement.id === 'open-key-dialog'`, 5*time.Second)
	p.do("open the key dialog again", chromedp.Click(chromedp.ID("open-key-dialog")))
	p.step("key dialog", chromedp.WaitVisible(chromedp.ID("apiKey")))
	p.do("a bad key",
		chromedp.SendKeys(chromedp.ID("apiKey"), "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
		chromedp.Click(chromedp.ID("check-key")),
	)
	p.step("the bad key's answer", chromedp.WaitVisible(chromedp.ID("key-error")))
	if got := p.text("#key-result"); !strings.Contains(got, "PeopleHR did not accept the key") || !strings.Contains(got, "Check that it was copied whole") {
		t.Errorf("bad key message: %q", got)
	}
	p.checkA11y("authorize with a bad key")
	p.shot("05-authorize-bad-key")
	const key = peoplehrtest.DefaultAPIKey
	p.clear("apiKey")
	p.do("the good key",
		chromedp.SendKeys(chromedp.ID("apiKey"), key),
		chromedp.Click(chromedp.ID("check-key")),
	)
	p.step("the key accepted", chromedp.WaitVisible(chromedp.ID("key-accepted")))
	if got := p.text("#key-accepted"); !strings.Contains(got, "It can see 25 employees") || !strings.Contains(got, key[len(key)-4:]) {
		t.Errorf("accepted: %q", got)
	}
	if eval[bool](p, `[...document.querySelectorAll('input')].some((i) => i.value.includes(`+jsString(key)+`)) || document.documentElement.outerHTML.includes(`+jsString(key)+`)`) {
		t.Error("the key stays in the page after it was accepted")
	}
	p.shot("06-authorize-accepted")
	p.do("continue", chromedp.Click(chromedp.ID("key-continue")))

	// Step 3: source fields with examples, the two mandatory targets;
	// a mapping without email is refused with its message.
	p.step("mapping", chromedp.WaitVisible(chromedp.ID("mapping-form")))
	if got := p.text("#map-email-examples"); !strings.Contains(got, "@") {
		t.Errorf("no example emails: %q", got)
	}
	if n := eval[int](p, `document.querySelectorAll('#mapping-form .required').length`); n != 2 {
		t.Errorf("%d mandatory targets, want 2", n)
	}
	if eval[bool](p, `[...document.querySelectorAll('#map-email option')].some((o) => o.value.startsWith('BankDetail'))`) {
		t.Error("BankDetail is offered")
	}
	p.checkA11y("mapping")
	p.shot("07-mapping")
	p.clear("map-email")
	p.do("map no email",
		chromedp.Click(chromedp.ID("save-mapping")),
	)
	p.step("the mapping refused", chromedp.WaitVisible(chromedp.ID("map-email-error")))
	if got := p.text("#map-email-error"); !strings.Contains(got, "Email must be mapped: every member needs an email address") {
		t.Errorf("mapping without email: %q", got)
	}
	p.shot("08-mapping-without-email")
	p.do("map the email, a mobile and a custom column",
		chromedp.SetValue(chromedp.ID("map-email"), "EmailId"),
		chromedp.SetValue(chromedp.ID("map-mobile"), "ContactDetail.Mobile"),
		chromedp.SetValue(chromedp.ID("map-custom1"), "APIColumn2"),
		chromedp.Click(chromedp.ID("save-mapping")),
	)

	// Step 4: the dry run, then publish. PeopleHR streams slowly for the
	// import publish starts, so its progress can be watched.
	p.step("review", chromedp.WaitVisible(chromedp.ID("preview-counts")))
	predicted := p.text(`#preview-counts tr[data-count="created"] td`)
	if predicted == "0" || eval[int](p, `document.querySelectorAll('#preview-creates tbody tr').length`) != 5 {
		t.Errorf("dry run: %s created, first rows %d", predicted, eval[int](p, `document.querySelectorAll('#preview-creates tbody tr').length`))
	}
	if runs, _, _ := st.Store.ListRuns(context.Background(), "newco", "", 5); len(runs) != 0 {
		t.Fatalf("the review started %d runs", len(runs))
	}
	p.checkA11y("review")
	p.shot("09-review")
	st.Sandbox.InjectFault(peoplehrtest.Fault{Kind: peoplehrtest.FaultSlowStream, Delay: 150 * time.Millisecond})
	p.do("publish", chromedp.Click(chromedp.ID("publish")))
	p.step("dashboard, published", chromedp.WaitVisible(chromedp.ID("pause")))
	if got := p.text("#status-state"); !strings.Contains(got, "Live") {
		t.Errorf("status after publish: %q", got)
	}
	p.checkA11y("dashboard, published")
	p.shot("10-dashboard-published")

	// Import data now: the import publish queued is the one it shows.
	p.do("import data now", chromedp.Click(chromedp.ID("import-now")))
	p.step("progress", chromedp.WaitVisible(chromedp.ID("import-progress")))
	var states []string
	shotTaken := false
	deadline := time.Now().Add(60 * time.Second)
	for {
		s := eval[string](p, `(() => { const b = document.getElementById('import-progress'); return b ? b.dataset.state + ' ' + (b.hasAttribute('value') ? b.value + '/' + b.max : '?') + ' ' + document.getElementById('import-phase').textContent : ''; })()`)
		if len(states) == 0 || states[len(states)-1] != s {
			states = append(states, s)
		}
		if strings.HasPrefix(s, "fetching") && !shotTaken {
			p.shot("11-import-progress")
			shotTaken = true
		}
		if strings.HasPrefix(s, "done") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the progress bar never reached done: %q", states)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("progress bar states: %q", states)
	if len(states) < 2 || !strings.HasPrefix(states[len(states)-1], "done 1/1 Done: succeeded with errors.") {
		t.Errorf("the progress bar did not move to done: %q", states)
	}
	p.step("result", chromedp.WaitVisible(chromedp.ID("import-result")))
	if got := p.text(`#import-counts tr[data-count="created"] td`); got != predicted {
		t.Errorf("the import created %s, the review predicted %s", got, predicted)
	}
	runID := strings.TrimPrefix(eval[string](p, `location.hash`), "#/imports/")
	p.checkA11y("import done")
	p.shot("12-import-done")

	// The error file: downloaded by the browser, and its link followed.
	downloads := t.TempDir()
	dlCtx, cancelDL := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancelDL()
	progress := chromedp.BrowserEvents(dlCtx, browser.DownloadProgress)
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: new(true),
	}); err != nil {
		t.Fatal(err)
	}
	p.do("download the error file", chromedp.Click(chromedp.ID("download-errors")))
	var guid string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			guid = ev.GUID
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
	}
	csv, err := os.ReadFile(filepath.Join(downloads, guid))
	if err != nil || !strings.HasPrefix(string(csv), errorFileHeader) {
		t.Errorf("downloaded error file: %v %.120q", err, csv)
	}
	p.step("the link", chromedp.WaitVisible(chromedp.ID("error-file-link")))
	href := eval[string](p, `document.getElementById('error-file-link').href`)
	resp, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), errorFileHeader) || !strings.Contains(resp.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("error file link: %d %s %.120q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if got := p.text("h1"); !strings.HasPrefix(got, "Import of") {
		t.Errorf("the download left the page: %q", got)
	}

	// The history lists the run.
	p.do("history", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav="history"]`)))
	p.step("history table", chromedp.WaitVisible(chromedp.ID("history-table")))
	row := p.text(`#history-table tr[data-run="` + runID + `"]`)
	if !strings.Contains(row, "Succeeded with errors") || !strings.Contains(row, "Import data now") || !strings.Contains(row, predicted) {
		t.Errorf("history row of %s: %q", runID, row)
	}
	p.checkA11y("history")
	p.shot("13-history")

	// The dashboard shows the last run; pause, then revoke with a confirm.
	p.do("dashboard", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav="dashboard"]`)))
	p.step("dashboard", chromedp.WaitVisible(chromedp.ID("status-last")))
	if got := p.text("#status-last"); !strings.Contains(got, "Succeeded with errors") {
		t.Errorf("last run on the dashboard: %q", got)
	}
	if got := p.text("#status-key"); !strings.Contains(got, key[len(key)-4:]) {
		t.Errorf("key status: %q", got)
	}
	p.shot("14-dashboard-after-import")

	// Pause and revoke are saves too: each is refused as stale when the
	// other admin saved after the dashboard read the integration, and
	// works once the dashboard is reloaded.
	saveBehind(t, other, "05:00")
	p.do("pause", chromedp.Click(chromedp.ID("pause")))
	p.seeConflict("pause", "15-pause-conflict")
	if in, err := st.Store.GetIntegration(context.Background(), "newco"); err != nil || !in.Published {
		t.Errorf("a stale pause paused: %+v %v", in, err)
	}
	p.do("reload", chromedp.Click(chromedp.ID("conflict-reload")))
	p.waitFor("the dashboard again", `!document.getElementById('conflict-reload') && document.getElementById('pause')`, 10*time.Second)
	p.do("pause", chromedp.Click(chromedp.ID("pause")))
	p.step("paused", chromedp.WaitVisible(chromedp.ID("go-publish")))
	saveBehind(t, other, "05:30")
	revoke := func(confirmShot string) {
		t.Helper()
		p.do("revoke", chromedp.Click(chromedp.ID("revoke")))
		p.step("confirm", chromedp.WaitVisible(chromedp.ID("confirm-yes")))
		p.shot(confirmShot)
		p.do("confirm", chromedp.Click(chromedp.ID("confirm-yes")))
	}
	revoke("16-revoke-confirm")
	p.seeConflict("revoke", "17-revoke-conflict")
	if in, err := st.Store.GetIntegration(context.Background(), "newco"); err != nil || in.Key == nil {
		t.Errorf("a stale revoke deleted the key: %+v %v", in, err)
	}
	p.do("reload", chromedp.Click(chromedp.ID("conflict-reload")))
	p.waitFor("the dashboard again", `!document.getElementById('conflict-reload') && document.getElementById('revoke')`, 10*time.Second)
	revoke("18-revoke-confirm-again")
	p.waitFor("the key revoked", `document.getElementById('status-key') && document.getElementById('status-key').textContent.startsWith('Not connected')`, 20*time.Second)
	in, err := st.Store.GetIntegration(context.Background(), "newco")
	if err != nil || in.Key != nil || in.Published {
		t.Errorf("after pause and revoke: %+v %v", in, err)
	}
	p.shot("19-dashboard-revoked")
}

// fillSettings fills the settings form (a weekly schedule) and saves it.
func fillSettings(recipients, threshold string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.ID("frequency-weekly")),
		chromedp.SetValue(chromedp.ID("weekday"), "wednesday"),
		chromedp.SetValue(chromedp.ID("timeOfDay"), "06:30"),
		chromedp.SetValue(chromedp.ID("timeZone"), "Europe/London"),
		chromedp.SetValue(chromedp.ID("dateFormat"), "dd/MM/yyyy"),
		chromedp.SetValue(chromedp.ID("summaryRecipients"), recipients),
		chromedp.SetValue(chromedp.ID("massChangeThresholdPercent"), threshold),
		chromedp.Click(chromedp.ID("save-settings")),
	}
}

// saveBehind saves the settings through the API as another admin, on the
// version stored now: whatever the console read before is stale.
func saveBehind(t *testing.T, c *apiClient, timeOfDay string) {
	t.Helper()
	etag := c.must(200, "GET", "/integration", nil, nil).Get("ETag")
	c.must(200, "PUT", "/integration/settings", map[string]string{"timeOfDay": timeOfDay}, nil, "If-Match", etag)
}

// seeConflict checks that the console refused a stale save in plain words,
// with the focus on the message and a way to reload, and screenshots it.
func (p *page) seeConflict(where, shot string) {
	p.t.Helper()
	p.step(where+" refused as stale", chromedp.WaitVisible(chromedp.ID("conflict-reload")))
	if got := p.text(".notice:has(#conflict-reload)"); !strings.Contains(got, "Someone else saved first") || !strings.Contains(got, "nothing you changed here was saved") {
		p.t.Errorf("%s: the conflict says %q", where, got)
	}
	if !eval[bool](p, `document.activeElement.matches('.notice[role=alert]') && document.activeElement.contains(document.getElementById('conflict-reload'))`) {
		p.t.Errorf("%s: the conflict does not take the focus", where)
	}
	p.checkA11y(where + " refused as stale")
	p.shot(shot)
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// A live tenant whose PeopleHR suddenly says many left: the held import is
// on the dashboard; discarding it changes nothing, approving the next one
// applies exactly its plan.
func TestConsoleHeldImports(t *testing.T) {
	ctx := context.Background()
	const tenantID = "heldco"
	st, base, importNow := consoleTenant(t, tenantID, "Heldco Perks")
	importNow(integration.StatusSucceededWithErrors)
	members, err := st.Store.Members(ctx, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	leaving := map[string]bool{}
	for _, m := range members {
		if len(leaving) < 8 && m.Status != engine.StatusLeaver {
			leaving[m.Values.Get(engine.EmployeeID)] = true
		}
	}
	yesterday := time.Now().AddDate(0, 0, -2).Format(time.DateOnly)
	st.Sandbox.Update(func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
		es = append([]peoplehrtest.Employee(nil), es...)
		for i := range es {
			if leaving[es[i].EmployeeID] {
				es[i].LeavingDate, es[i].EmployeeStatus, es[i].ReasonForLeaving = yesterday, "Left", "Resigned"
			}
		}
		return es
	})
	held := importNow(integration.StatusHeld)

	token, err := st.Token(tenantID, "admin@heldco.example")
	if err != nil {
		t.Fatal(err)
	}
	p := newPage(t)
	p.do("open the console", chromedp.Navigate(base+"/#token="+token))
	p.step("held imports", chromedp.WaitVisible(chromedp.CSS(`#held [data-run="`+held.RunID+`"]`)))
	if got := p.text(`#held [data-run="` + held.RunID + `"] .held-reason`); !strings.Contains(got, "8") {
		t.Errorf("held reason: %q", got)
	}
	p.checkA11y("dashboard with a held import")
	p.shot("01-dashboard-held")

	// Discard: confirmed in a modal, then gone; nothing changed.
	p.do("discard", chromedp.Click(chromedp.CSS(`[data-discard="`+held.RunID+`"]`)))
	p.step("confirm", chromedp.WaitVisible(chromedp.ID("confirm-yes")))
	if !eval[bool](p, `document.getElementById('confirm-dialog').open && document.activeElement.id === 'confirm-no'`) {
		t.Error("the confirm dialog does not start on Cancel")
	}
	p.shot("02-discard-confirm")
	p.do("confirm", chromedp.Click(chromedp.ID("confirm-yes")))
	p.waitFor("the held import gone", `!document.getElementById('held') && document.getElementById('status-last')`, 20*time.Second)
	if run, err := st.Store.GetRun(ctx, tenantID, held.RunID); err != nil || !strings.HasPrefix(run.Resolution, "discarded by admin@heldco.example") {
		t.Errorf("discarded run: %+v %v", run, err)
	}
	if after, _ := st.Store.Members(ctx, tenantID); countLeavers(after) != countLeavers(members) {
		t.Errorf("discarding closed members: %d leavers, were %d", countLeavers(after), countLeavers(members))
	}

	// The next import is held too; approving it applies its closures.
	again := importNow(integration.StatusHeld)
	p.do("reload", chromedp.Reload())
	p.step("held again", chromedp.WaitVisible(chromedp.CSS(`[data-approve="`+again.RunID+`"]`)))
	p.do("approve", chromedp.Click(chromedp.CSS(`[data-approve="`+again.RunID+`"]`)))
	p.step("confirm", chromedp.WaitVisible(chromedp.ID("confirm-yes")))
	p.do("confirm", chromedp.Click(chromedp.ID("confirm-yes")))
	p.step("the approval run", chromedp.WaitVisible(chromedp.ID("import-result")))
	if got := p.text(`#import-counts tr[data-count="closed"] td`); got != "8" {
		t.Errorf("the approval closed %s, want 8", got)
	}
	p.checkA11y("approval run")
	p.shot("03-approved")
	if after, _ := st.Store.Members(ctx, tenantID); countLeavers(after) != countLeavers(members)+8 {
		t.Errorf("after approval: %d leavers, were %d", countLeavers(after), countLeavers(members))
	}
	p.do("history", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav="history"]`)))
	p.step("history table", chromedp.WaitVisible(chromedp.ID("history-table")))
	if got := p.text(`#history-table tr[data-run="` + held.RunID + `"]`); !strings.Contains(got, "Held for approval") || !strings.Contains(got, "discarded by") {
		t.Errorf("discarded run in history: %q", got)
	}
	if got := p.text(`#history-table tbody tr:first-child`); !strings.Contains(got, "Approval") || !strings.Contains(got, "Succeeded") {
		t.Errorf("approval run in history: %q", got)
	}
	p.shot("04-history")

	// A long history pages: 20 older scheduled runs make two pages.
	for i := range 20 {
		at := time.Now().AddDate(0, 0, -1-i)
		run := &integration.Run{TenantID: tenantID, RunID: integration.NewRunID(at), Trigger: integration.TriggerSchedule,
			Status: integration.StatusSucceeded, QueuedAt: at, StartedAt: at, FinishedAt: at.Add(time.Minute)}
		if err := st.Store.CreateRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	p.do("reload", chromedp.Reload())
	p.step("history table", chromedp.WaitVisible(chromedp.ID("history-table")))
	rows := func() int { return eval[int](p, `document.querySelectorAll('#history-table tbody tr').length`) }
	if n := rows(); n != 20 || !eval[bool](p, `document.getElementById('history-newer').disabled && !document.getElementById('history-older').disabled`) {
		t.Fatalf("first page: %d rows", n)
	}
	p.do("older", chromedp.Click(chromedp.ID("history-older")))
	p.waitFor("the second page", `document.getElementById('history-position').textContent.startsWith('Page 2')`, 10*time.Second)
	if n := rows(); n != 4 || !eval[bool](p, `document.getElementById('history-older').disabled && document.activeElement.id === 'history-newer'`) {
		t.Errorf("second page: %d rows, or the focus was lost", n)
	}
	if got := p.text(`#history-table tbody tr:last-child`); !strings.Contains(got, "Scheduled") {
		t.Errorf("oldest run: %q", got)
	}
	p.shot("05-history-page-2")
	p.do("newer", chromedp.Click(chromedp.ID("history-newer")))
	p.waitFor("the first page again", `document.getElementById('history-position').textContent.startsWith('Page 1')`, 10*time.Second)

	// A run in words this console does not know, as a newer server may
	// send, reads as text on its page, in the history and on the
	// dashboard: never an error.
	at := time.Now()
	odd := &integration.Run{TenantID: tenantID, RunID: integration.NewRunID(at), Trigger: "webhook", Status: "paused_by_support",
		StartedBy: "support@peoplesync.example", QueuedAt: at, StartedAt: at, FinishedAt: at, Counts: engine.Counts{Total: 3}}
	if err := st.Store.CreateRun(ctx, odd); err != nil {
		t.Fatal(err)
	}
	eval[string](p, `location.hash = '#/imports/`+odd.RunID+`'`)
	p.step("the odd run's page", chromedp.WaitVisible(chromedp.ID("import-result")))
	if got := p.text("#import-phase"); got != "Done: paused by support." {
		t.Errorf("the odd run's progress: %q", got)
	}
	if got := p.text("#import-result h2"); got != "Result: Paused by support" {
		t.Errorf("the odd run's result: %q", got)
	}
	if got := p.text("main .lead"); !strings.HasPrefix(got, "Webhook, started by support@") {
		t.Errorf("the odd run's trigger: %q", got)
	}
	p.checkA11y("a run in unknown words")
	p.shot("06-unknown-words")
	p.do("history", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav="history"]`)))
	p.step("history table", chromedp.WaitVisible(chromedp.CSS(`#history-table tr[data-run="`+odd.RunID+`"]`)))
	if got := p.text(`#history-table tr[data-run="` + odd.RunID + `"]`); !strings.Contains(got, "Paused by support") || !strings.Contains(got, "Webhook") {
		t.Errorf("the odd run in the history: %q", got)
	}

	// Sign out forgets the token; a pasted one signs in again.
	p.do("sign out", chromedp.Click(chromedp.ID("sign-out")))
	p.step("sign-in page", chromedp.WaitVisible(chromedp.ID("sign-in-form")))
	if !eval[bool](p, `sessionStorage.length === 0 && localStorage.length === 0 && document.getElementById('main-nav').hidden`) {
		t.Error("signing out left the token or the navigation")
	}
	p.checkA11y("sign in")
	p.shot("07-sign-in")
	p.do("sign in", chromedp.SendKeys(chromedp.ID("token"), token), chromedp.Click(chromedp.ID("sign-in")))
	p.step("dashboard", chromedp.WaitVisible(chromedp.ID("status-last")))
	if got := p.text("#status-last"); !strings.Contains(got, "Paused by support") {
		t.Errorf("the odd run as the last import: %q", got)
	}
}

func countLeavers(ms []engine.Member) int {
	n := 0
	for _, m := range ms {
		if m.Status == engine.StatusLeaver {
			n++
		}
	}
	return n
}
