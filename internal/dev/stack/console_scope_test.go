package stack_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// Scoping, welcome timing and the provisioning log in the browser: a rule
// that leaves contractors out is set on the settings page (bad rules
// first, each error beside its own input), with the welcome on the start
// date; both are there after a reload; an import counts the contractors
// out of scope on its page, the dashboard and the history; the members
// page lists who was created (the pre-hire's welcome waiting), and a
// member's log shows the create with its fields, a skipped record's its
// skip.
func TestConsoleScopeMembersAndLog(t *testing.T) {
	ctx := context.Background()
	contractors := []string{"PW0002", "PW0003", "PW0004"}
	es := peoplehrtest.DemoEmployees()
	for i := range es {
		if slices.Contains(contractors, es[i].EmployeeID) {
			es[i].EmploymentType = "Contractor"
		}
	}
	st := startWith(t, stack.Options{Employees: es, Log: testLog(t)})
	st.StartConsumers(ctx)
	base := serveAPI(t, st)
	const tenantID = "scopeco"
	if err := st.SeedTenant(ctx, stack.Tenant{
		ID: tenantID, ProgrammeName: "Scopeco Perks", AdminEmail: "admin@scopeco.example", APIKey: peoplehrtest.DefaultAPIKey,
		Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(),
	}); err != nil {
		t.Fatal(err)
	}
	token, err := st.Token(tenantID, "admin@scopeco.example")
	if err != nil {
		t.Fatal(err)
	}
	p := newPage(t)
	p.do("open the console", chromedp.Navigate(base+"/#token="+token))
	p.step("dashboard", chromedp.WaitVisible(chromedp.ID("import-now")))

	// The settings: no rules yet; PeopleHR's fields offered for a rule.
	p.do("settings", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav="setup"]`)))
	p.step("scope editor", chromedp.WaitVisible(chromedp.ID("scope-add")))
	if !eval[bool](p, `!document.getElementById('scope-empty').hidden && document.getElementById('welcomeTiming-on_creation').checked`) {
		t.Error("a new integration does not start with no rules and the welcome at creation")
	}
	if eval[int](p, `document.querySelectorAll('#scope-sources option').length`) != 0 {
		t.Error("PeopleHR's fields were read before a rule needed them")
	}

	// Two rules the API refuses: each error beside its own rule's input.
	// The first rule added reads PeopleHR's fields to choose from.
	p.do("add a rule", chromedp.Click(chromedp.ID("scope-add")))
	p.step("rule 1", chromedp.WaitVisible(chromedp.ID("scope-0-source")))
	if !eval[bool](p, `document.activeElement.id === 'scope-0-source'`) {
		t.Error("a new rule does not take the focus")
	}
	p.waitFor("PeopleHR's fields", `document.querySelector('#scope-sources option[value="EmploymentType"]')`, 20*time.Second)
	if eval[bool](p, `[...document.querySelectorAll('#scope-sources option')].some((o) => o.value.startsWith('BankDetail'))`) {
		t.Error("BankDetail is offered for a rule")
	}
	p.do("rule 1: one field, two values for equals",
		chromedp.SendKeys(chromedp.ID("scope-0-source"), "EmploymentType"),
		chromedp.SetValue(chromedp.ID("scope-0-op"), "equals"),
		chromedp.SendKeys(chromedp.ID("scope-0-values"), "Contractor, Temp"),
		chromedp.Click(chromedp.ID("scope-add")),
	)
	p.step("rule 2", chromedp.WaitVisible(chromedp.ID("scope-1-source")))
	if got := p.text("#scope-0-source-hint"); !strings.Contains(got, "Contractor") {
		t.Errorf("the examples of EmploymentType: %q", got)
	}
	p.do("rule 2: a field that cannot be used",
		chromedp.SendKeys(chromedp.ID("scope-1-source"), "BankDetail.AccountNumber"),
		chromedp.SetValue(chromedp.ID("scope-1-op"), "in"),
		chromedp.SendKeys(chromedp.ID("scope-1-values"), "1\n2"),
		chromedp.Click(chromedp.ID("welcomeTiming-on_start_date")),
		chromedp.Click(chromedp.ID("save-settings")),
	)
	p.step("the rules refused", chromedp.WaitVisible(chromedp.ID("scope-0-values-error")))
	if got := p.text("#scope-0-values-error"); !strings.Contains(got, "Takes exactly one value") {
		t.Errorf("rule 1's values error: %q", got)
	}
	if got := p.text("#scope-1-source-error"); !strings.Contains(got, "PeopleHR field that can be mapped") {
		t.Errorf("rule 2's field error: %q", got)
	}
	if eval[bool](p, `!!document.getElementById('scope-0-source-error') || !!document.getElementById('scope-1-values-error')`) {
		t.Error("an error shows beside an input that has none")
	}
	if !eval[bool](p, `document.activeElement.classList.contains('error-summary') && document.getElementById('scope-1-source').getAttribute('aria-invalid') === 'true'
	  && document.querySelector('.error-summary').textContent.includes('PeopleHR field of rule 2')`) {
		t.Error("the summary does not take the focus, name the rule, or the input is not marked invalid")
	}
	p.checkA11y("settings with bad rules")
	p.shot("01-settings-scope-errors")

	// Rule 2 removed, rule 1 given one value: saved.
	p.do("remove rule 2", chromedp.Click(chromedp.ID("scope-1-remove")))
	p.waitFor("one rule", `document.querySelectorAll('#scope-rules > li').length === 1 && document.activeElement.id === 'scope-0-source'`, 5*time.Second)
	p.clear("scope-0-values")
	p.do("one value",
		chromedp.SendKeys(chromedp.ID("scope-0-values"), "Contractor"),
		chromedp.Click(chromedp.ID("save-settings")),
	)
	p.step("saved", chromedp.WaitVisible(chromedp.ID("open-key-dialog")))
	in, err := st.Store.GetIntegration(ctx, tenantID)
	want := []engine.ScopeRule{{Source: "EmploymentType", Op: engine.ScopeEquals, Values: []string{"Contractor"}}}
	if err != nil || !slices.EqualFunc(in.Settings.Scope, want, func(a, b engine.ScopeRule) bool {
		return a.Source == b.Source && a.Op == b.Op && slices.Equal(a.Values, b.Values)
	}) || in.Settings.WelcomeTiming != integration.WelcomeOnStartDate {
		t.Fatalf("saved settings: scope %+v, welcome %q, %v", in.Settings.Scope, in.Settings.WelcomeTiming, err)
	}

	// After a reload, the page shows what was saved.
	eval[string](p, `location.hash = '#/setup/settings'`)
	p.do("reload", chromedp.Reload())
	p.step("settings again", chromedp.WaitVisible(chromedp.ID("scope-0-source")))
	if got := eval[string](p, `['scope-0-source', 'scope-0-op', 'scope-0-values'].map((id) => document.getElementById(id).value).join('|') + '|' + document.querySelectorAll('#scope-rules > li').length`); got != "EmploymentType|equals|Contractor|1" {
		t.Errorf("the rule after a reload: %q", got)
	}
	if !eval[bool](p, `document.getElementById('welcomeTiming-on_start_date').checked`) {
		t.Error("the welcome on the start date is not chosen after a reload")
	}
	p.checkA11y("settings with a rule")
	p.shot("02-settings-scope-saved")

	// The review shows the rule and the timing, and counts out of scope.
	p.do("review", chromedp.Click(chromedp.CSS(`.steps a[href="#/setup/review"]`)))
	p.step("review", chromedp.WaitVisible(chromedp.ID("preview-counts")))
	if got := p.text(`#preview-counts tr[data-count="outOfScope"] td`); got != "3" {
		t.Errorf("the dry run's out of scope: %q", got)
	}
	if got := p.text("#review-scope") + " " + p.text("#review-welcome"); !strings.Contains(got, "EmploymentType is “Contractor”") || !strings.Contains(got, "start date") {
		t.Errorf("the review's settings: %q", got)
	}
	p.shot("03-review-out-of-scope")

	// Import data now: the contractors are counted out of scope.
	p.do("dashboard", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav="dashboard"]`)))
	p.step("dashboard", chromedp.WaitVisible(chromedp.ID("import-now")))
	p.do("import data now", chromedp.Click(chromedp.ID("import-now")))
	p.step("the import's result", chromedp.WaitVisible(chromedp.ID("import-result")))
	if got := p.text(`#import-counts tr[data-count="outOfScope"] td`); got != "3" {
		t.Errorf("out of scope on the import page: %q", got)
	}
	runID := strings.TrimPrefix(eval[string](p, `location.hash`), "#/imports/")
	p.checkA11y("import with out of scope")
	p.shot("04-import-out-of-scope")
	p.do("dashboard", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav="dashboard"]`)))
	p.step("the last import", chromedp.WaitVisible(chromedp.ID("status-last-counts")))
	if got := p.text("#status-last-counts"); !strings.Contains(got, "3 out of scope") {
		t.Errorf("the dashboard's last import: %q", got)
	}
	p.shot("05-dashboard-last-import")
	p.do("history", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav="history"]`)))
	p.step("history", chromedp.WaitVisible(chromedp.ID("history-table")))
	if got := p.text(`#history-table tr[data-run="` + runID + `"] td[data-count="outOfScope"]`); got != "3" {
		t.Errorf("out of scope in the history: %q", got)
	}

	// The members: no contractor; the pre-hire's welcome waits.
	p.do("members", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav="members"]`)))
	p.step("members", chromedp.WaitVisible(chromedp.ID("members-table")))
	ids := eval[[]string](p, `[...document.querySelectorAll('#members-table tbody tr')].map((r) => r.dataset.member)`)
	for _, c := range contractors {
		if slices.Contains(ids, c) {
			t.Errorf("contractor %s is a member", c)
		}
	}
	if !slices.Contains(ids, "PW0001") || !slices.IsSorted(ids) {
		t.Errorf("members: %v", ids)
	}
	if got := p.text(`#members-table tr[data-member="PW0013"]`); !strings.Contains(got, "Waiting for the start date") {
		t.Errorf("the pre-hire: %q", got)
	}
	p.checkA11y("members")
	p.shot("06-members")
	p.do("only leavers", chromedp.SetValue(chromedp.ID("members-status"), "leaver"), chromedp.Click(chromedp.ID("members-show")))
	p.waitFor("the leavers", `document.getElementById('members-empty') || (document.getElementById('members-table') && document.querySelector('#members-table caption').textContent.includes('leaver'))`, 10*time.Second)
	if n := eval[int](p, `[...document.querySelectorAll('#members-table tbody tr')].filter((r) => !r.textContent.includes('Leaver')).length`); n != 0 {
		t.Errorf("%d members who are not leavers among the leavers", n)
	}
	p.do("all members", chromedp.SetValue(chromedp.ID("members-status"), ""), chromedp.Click(chromedp.ID("members-show")))
	p.step("members", chromedp.WaitVisible(chromedp.CSS(`#members-table tr[data-member="PW0001"] a`)))

	// A member's log: the create, with the run and every field set.
	p.do("PW0001's log", chromedp.Click(chromedp.CSS(`#members-table tr[data-member="PW0001"] a`)))
	p.step("the log", chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-action="create"]`)))
	entry := `.log-entry[data-action="create"]`
	if got := p.text(entry + ` .run-id`); got != runID {
		t.Errorf("the create's run: %q, want %q", got, runID)
	}
	if got := p.text(entry + ` tr[data-field="email"]`); !strings.Contains(got, "amelia.smith@northwind.example") {
		t.Errorf("the create's email: %q", got)
	}
	if got := p.text(entry + ` .log-reason`); got == "" || got == "—" {
		t.Errorf("the create has no reason")
	}
	if got := p.text("h1"); !strings.Contains(got, "Amelia") {
		t.Errorf("log heading: %q", got)
	}
	if !eval[bool](p, `localStorage.length === 0 && sessionStorage.length === 1`) {
		t.Error("the browser keeps more than the token")
	}
	p.checkA11y("member log")
	p.shot("07-member-log")

	// A record skipped for its email has no member, and a log that says why.
	eval[string](p, `location.hash = '#/members/PW0015/log'`)
	p.step("a skipped record's log", chromedp.WaitVisible(chromedp.CSS(`.log-entry[data-action="skip"]`)))
	if got := p.text(`.log-entry[data-action="skip"] .log-reason`); !strings.Contains(got, "not a valid email") {
		t.Errorf("the skip's reason: %q", got)
	}
	if got := p.text(".notice-info"); !strings.Contains(got, "No member has this employee ID") {
		t.Errorf("a skipped record: %q", got)
	}
	p.checkA11y("skipped record's log")
	p.shot("08-skipped-record-log")
}
