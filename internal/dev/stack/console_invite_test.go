package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// Invitations in the browser: after a first import one member joins over
// the platform API and a second import counts the join. The dashboard says
// how many joined and charts today's join, its numbers in a table; the
// members page shows who joined when and offers to resend the others'
// invitations: once queued, again too soon refused with the API's words;
// a resend to everyone names the count first and reports what it did; the
// settings' reminders are on by default, and off after a save and a
// reload.
func TestConsoleInvitations(t *testing.T) {
	ctx := context.Background()
	st := startWith(t, stack.Options{Employees: peoplehrtest.DemoEmployees(), Log: testLog(t)})
	st.StartConsumers(ctx)
	base := serveAPI(t, st)
	const tenantID = "inviteco"
	if err := st.SeedTenant(ctx, stack.Tenant{
		ID: tenantID, ProgrammeName: "Inviteco Perks", AdminEmail: "admin@inviteco.example", APIKey: peoplehrtest.DefaultAPIKey,
		Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(),
	}); err != nil {
		t.Fatal(err)
	}
	importOnce := func() *integration.Run {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		queued, err := st.Enqueue(ctx, tenantID, integration.TriggerManual)
		if err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		run, err := st.WaitFinished(ctx, tenantID, queued.RunID)
		if err != nil {
			t.Fatalf("wait: %v", err)
		}
		return run
	}
	membersNow := func() map[string]engine.Member {
		t.Helper()
		list, err := st.Store.Members(ctx, tenantID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]engine.Member{}
		for _, m := range list {
			out[m.EmployeeID()] = m
		}
		return out
	}
	// settled waits until no welcome of the tenant is owed or sending.
	settled := func(what string) map[string]engine.Member {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			ms, pending := membersNow(), 0
			for _, m := range ms {
				if m.Welcome == engine.WelcomeOwed || m.Welcome == engine.WelcomeSending {
					pending++
				}
			}
			if pending == 0 {
				return ms
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d welcomes still owed or sending after 30s", what, pending)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	importOnce()
	ms := settled("the first import's welcomes")
	const joiner = "PW0001"
	if m := ms[joiner]; m.Status != engine.StatusInvited || m.Welcome != engine.WelcomeSent {
		t.Fatalf("%s after the first import: %s, welcome %s", joiner, m.Status, m.Welcome)
	}

	// The joiner follows their welcome: the platform redeems its token.
	redeem(t, st, base, tenantID, inviteToken(t, tenantID, ms[joiner].Values.Get(engine.Email)))
	second := importOnce()
	if second.Members == nil || second.Members.Joined != 1 || second.Members.JoinedSinceLast != 1 {
		t.Fatalf("the second import counted %+v, want 1 joined, 1 since the last", second.Members)
	}
	total := second.Members.Members

	token, err := st.Token(tenantID, "admin@inviteco.example")
	if err != nil {
		t.Fatal(err)
	}
	p := newPage(t)
	p.do("open the console", chromedp.Navigate(base+"/#token="+token))
	p.step("dashboard", chromedp.WaitVisible(chromedp.ID("joins-total")))
	want := fmt.Sprintf("Joined 1 of %d (%d%%)", total, (100+total/2)/total)
	if got := p.text("#joins-total"); got != want {
		t.Errorf("the dashboard's joins: %q, want %q", got, want)
	}
	p.step("the chart", chromedp.WaitReady(chromedp.CSS(`#joins-svg rect.chart-bar`)))
	today := eval[string](p, `new Intl.DateTimeFormat('en-CA', {year: 'numeric', month: '2-digit', day: '2-digit', timeZone: `+jsString(integration.DefaultSettings().TimeZone)+`}).format(new Date())`)
	if got := eval[[]string](p, `[...document.querySelectorAll('#joins-svg rect.chart-bar')].map((r) => r.dataset.day)`); !slices.Equal(got, []string{today}) {
		t.Errorf("the chart's bars: %q, want one for %s", got, today)
	}
	if got := eval[string](p, `[...document.querySelectorAll('#joins-table tbody tr')].map((r) => r.dataset.day + '=' + r.querySelector('td').textContent).join(' ')`); got != today+"=1" {
		t.Errorf("the joins table: %q, want %s=1", got, today)
	}
	if !eval[bool](p, `document.getElementById('joins-svg').getAttribute('aria-describedby') === 'joins-table' && document.getElementById('joins-table').querySelector('caption').textContent.includes('last 90 days')`) {
		t.Error("the chart is not described by its table, or the table has no caption")
	}
	p.checkA11y("dashboard with joins")
	p.shot("01-dashboard-joins")
	p.do("show the table", chromedp.Click(chromedp.ID("joins-table-toggle")))
	p.step("the table shown", chromedp.WaitVisible(chromedp.ID("joins-table")))
	if got := p.text("#joins-table-toggle"); got != "Hide the table" || eval[string](p, `document.getElementById('joins-table-toggle').getAttribute('aria-expanded')`) != "true" {
		t.Errorf("the toggle once pressed: %q", got)
	}
	p.checkA11y("dashboard with the joins table")
	p.shot("02-dashboard-joins-table")

	// The members: the joiner with the day they joined and no resend; an
	// invited member with one.
	p.do("members", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav="members"]`)))
	p.step("members", chromedp.WaitVisible(chromedp.CSS(`#members-table tr[data-member="`+joiner+`"]`)))
	row := func(id string) string { return `#members-table tr[data-member="` + id + `"]` }
	if got := p.text(row(joiner) + " td.joined"); got == "Not yet" || !strings.Contains(got, time.Now().In(mustZone(t)).Format("2006")) {
		t.Errorf("the joiner's joined date: %q", got)
	}
	if eval[bool](p, `!!document.querySelector('`+row(joiner)+` [data-resend]')`) {
		t.Error("the joiner is offered a resend")
	}
	ms = membersNow()
	var invitee string
	for _, id := range slices.Sorted(maps.Keys(ms)) {
		if m := ms[id]; m.Status == engine.StatusInvited && m.Welcome == engine.WelcomeSent && id != joiner {
			invitee = id
			break
		}
	}
	if invitee == "" {
		t.Fatal("no invited member with a sent welcome")
	}
	for id, m := range ms {
		offered := eval[bool](p, `!!document.querySelector('`+row(id)+` [data-resend]')`)
		if want := m.Status == engine.StatusInvited && m.JoinedAt.IsZero(); offered != want && eval[bool](p, `!!document.querySelector('`+row(id)+`')`) {
			t.Errorf("%s (%s): resend offered %v", id, m.Status, offered)
		}
	}
	if got := p.text(row(invitee) + " td.invitation"); !strings.Contains(got, "Invited ") {
		t.Errorf("the invitee's invitation: %q", got)
	}
	p.checkA11y("members with invitations")
	p.shot("03-members")

	// Resend once: queued, the focus on the button. Again, once the mailer
	// sent it: refused as too soon, in the API's words.
	resend := row(invitee) + " [data-resend]"
	outcome := row(invitee) + " .outcome"
	p.do("resend", chromedp.Click(chromedp.CSS(resend)))
	p.waitFor("queued", `document.querySelector('`+outcome+`').textContent.startsWith('Queued')`, 10*time.Second)
	if !eval[bool](p, `document.activeElement === document.querySelector('`+resend+`') && document.querySelector('`+outcome+`').getAttribute('aria-live') === 'polite'`) {
		t.Error("after a resend the focus is not on its button, or the outcome is not a live region")
	}
	p.shot("04-members-resent")
	settled("the resent welcome")
	p.do("resend again", chromedp.Click(chromedp.CSS(resend)))
	p.waitFor("too soon", `document.querySelector('`+outcome+`').textContent.includes('resent in the last 24 hours')`, 10*time.Second)
	if !eval[bool](p, `document.querySelector('`+outcome+`').classList.contains('outcome-error')`) {
		t.Error("the refusal does not read as an error")
	}
	p.checkA11y("members with a refused resend")
	p.shot("05-members-resent-too-soon")

	// Resend to everyone: the count first, then what was done.
	p.do("resend to everyone", chromedp.Click(chromedp.ID("resend-all")))
	p.step("the confirmation", chromedp.WaitVisible(chromedp.ID("confirm-dialog")))
	if got := p.text("#confirm-dialog h2"); !strings.Contains(got, fmt.Sprintf("%d members who have not joined", total-1)) {
		t.Errorf("the confirmation: %q, want %d members", got, total-1)
	}
	p.checkA11y("resend to everyone: confirmation")
	p.shot("06-resend-all-confirm")
	p.do("confirm", chromedp.Click(chromedp.ID("confirm-yes")))
	p.waitFor("the result", `document.getElementById('resend-all-result').textContent.startsWith('Resent to')`, 60*time.Second)
	result := p.text("#resend-all-result")
	m := regexp.MustCompile(`^Resent to (\d+); (\d+) skipped \(resent in the last day, or on its way\)\.$`).FindStringSubmatch(result)
	if m == nil || m[1] == "0" || m[2] == "0" {
		t.Errorf("the result: %q, want some resent and the invitee skipped", result)
	}
	p.checkA11y("resend to everyone: result")
	p.shot("07-resend-all-result")

	// The reminders: on by default; off once saved, and after a reload.
	p.do("settings", chromedp.Click(chromedp.CSS(`#main-nav a[data-nav="setup"]`)))
	p.step("settings", chromedp.WaitVisible(chromedp.ID("inviteReminders")))
	if !eval[bool](p, `document.getElementById('inviteReminders').checked`) {
		t.Error("reminders are off by default")
	}
	if got := p.text(`label[for="inviteReminders"]`); !strings.Contains(got, "3rd and 10th day") {
		t.Errorf("the reminders' label: %q", got)
	}
	p.checkA11y("settings with reminders")
	p.shot("08-settings-reminders")
	p.do("reminders off", chromedp.Click(chromedp.ID("inviteReminders")), chromedp.Click(chromedp.ID("save-settings")))
	p.step("saved", chromedp.WaitVisible(chromedp.ID("open-key-dialog")))
	var integ struct {
		Settings struct {
			InviteReminders *bool `json:"inviteReminders"`
		} `json:"settings"`
	}
	c := newClient(t, st, base, tenantID, "admin@inviteco.example", &bytes.Buffer{})
	c.must(http.StatusOK, http.MethodGet, "/integration", nil, &integ)
	if integ.Settings.InviteReminders == nil || *integ.Settings.InviteReminders {
		t.Errorf("GET /integration after the save: inviteReminders %v", integ.Settings.InviteReminders)
	}
	eval[string](p, `location.hash = '#/setup/settings'`)
	p.do("reload", chromedp.Reload())
	p.step("settings again", chromedp.WaitVisible(chromedp.ID("inviteReminders")))
	if eval[bool](p, `document.getElementById('inviteReminders').checked`) {
		t.Error("reminders are on after saving them off and a reload")
	}
	p.checkA11y("settings with reminders off")
	p.shot("09-settings-reminders-off")
}

func mustZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(integration.DefaultSettings().TimeZone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// inviteToken is the token of the one welcome to `to` in the tenant's
// programme the SES emulator holds (other tests share it).
func inviteToken(t *testing.T, tenantID, to string) string {
	t.Helper()
	emails, err := ses.Sent(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`https?://\S+\?\S*token=\S+`)
	var tokens []string
	for _, e := range emails {
		if !strings.HasPrefix(e.Subject, "Welcome to ") || !slices.Contains(e.To, to) {
			continue
		}
		for _, l := range re.FindAllString(e.Text, -1) {
			u, err := url.Parse(l)
			if err == nil && u.Query().Get("tenant") == tenantID && u.Query().Get("token") != "" {
				tokens = append(tokens, u.Query().Get("token"))
			}
		}
	}
	if len(tokens) != 1 {
		t.Fatalf("want one welcome to %s in %s, got %d", to, tenantID, len(tokens))
	}
	return tokens[0]
}

// redeem joins the member whose invitation token is given, as the
// platform's backend does.
func redeem(t *testing.T, st *stack.Stack, base, tenantID, token string) {
	t.Helper()
	machine, err := st.PlatformToken(auth.ScopeInvitationsRedeem)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"token": token})
	req, err := http.NewRequest(http.MethodPost, base+"/platform/tenants/"+tenantID+"/invitations/redeem", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+machine)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e bytes.Buffer
		_, _ = e.ReadFrom(resp.Body)
		t.Fatalf("redeem: %d %s", resp.StatusCode, e.String())
	}
}
