package stack_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// The listener URL in the browser, in setup step 2 once a key is stored:
// made, shown once in a read-only field with where to paste it, and taking
// PeopleHR's notifications; after a reload only when it was made is
// shown; a new one (confirmed) stops the old one; stopping (confirmed)
// stops the new one and offers to make one again.
func TestConsoleListener(t *testing.T) {
	ctx := context.Background()
	st := startWith(t, stack.Options{Employees: peoplehrtest.DemoEmployees(), Log: testLog(t)})
	base := serveAPI(t, st)
	const tenantID = "listenco"
	if err := st.SeedTenant(ctx, stack.Tenant{
		ID: tenantID, ProgrammeName: "Listenco Perks", AdminEmail: "admin@listenco.example", APIKey: peoplehrtest.DefaultAPIKey,
		Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(),
	}); err != nil {
		t.Fatal(err)
	}
	token, err := st.Token(tenantID, "admin@listenco.example")
	if err != nil {
		t.Fatal(err)
	}
	// notify posts a change notification as PeopleHR does: JSON, no token.
	notify := func(hook string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, hook, strings.NewReader(`{"ActionId":3,"Action":"Marked Leaver","EmployeeId":"X"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	p := newPage(t)
	p.do("open the console", chromedp.Navigate(base+"/#token="+token))
	p.step("dashboard", chromedp.WaitVisible(chromedp.ID("import-now")))
	eval[string](p, `location.hash = '#/setup/authorize'`)

	// No listener: the card explains itself and offers to make one.
	p.step("the listener card", chromedp.WaitVisible(chromedp.ID("make-listener")))
	if got := p.text("#listener-card h2"); got != "Changes within a minute" {
		t.Errorf("the card's title: %q", got)
	}
	if got := p.text("#listener-about"); !strings.Contains(got, "within about a minute") || !strings.Contains(got, "scheduled import still runs") {
		t.Errorf("the card's explanation: %q", got)
	}
	if !eval[bool](p, `!!(document.getElementById('listener-card').compareDocumentPosition(document.getElementById('open-key-dialog')) & Node.DOCUMENT_POSITION_PRECEDING)`) {
		t.Error("the listener card is not after the key section")
	}
	p.checkA11y("authorize, no listener")
	p.shot("01-no-listener")

	// Make one: the URL once, read-only, focused, with where to paste it.
	p.do("make a listener URL", chromedp.Click(chromedp.ID("make-listener")))
	p.step("the URL", chromedp.WaitVisible(chromedp.ID("listener-url")))
	first := eval[string](p, `document.getElementById('listener-url').value`)
	if u, err := url.Parse(first); err != nil || !strings.Contains(first, "/hooks/peoplehr?key=") || u.Query().Get("key") == "" {
		t.Fatalf("the listener URL shown: %q", first)
	}
	if !eval[bool](p, `document.getElementById('listener-url').readOnly && document.activeElement.id === 'listener-url'`) {
		t.Error("the URL's field is not read-only, or does not have the focus")
	}
	hint := p.text("#listener-url-hint")
	if !strings.Contains(hint, "In PeopleHR, go to Settings, then API, and paste this URL as the listener URL (webhook). It is shown only now: if you lose it, make a new one.") {
		t.Errorf("where to paste it: %q", hint)
	}
	if got := p.text("#listener-replaces"); !strings.Contains(got, "stops this one") {
		t.Errorf("the note on a new URL: %q", got)
	}
	if got := p.text("#listener-result"); !strings.Contains(got, "Listener URL made") || eval[string](p, `document.getElementById('listener-result').getAttribute('aria-live')`) != "polite" {
		t.Errorf("the result: %q, in a live region?", got)
	}
	if got := p.text("#listener-status"); !strings.Contains(got, "Listener URL made ") || !strings.Contains(got, integration.DefaultSettings().TimeZone) {
		t.Errorf("when it was made: %q, want it in the tenant's zone", got)
	}
	if eval[bool](p, `JSON.stringify(Object.assign({}, sessionStorage)).includes('hooks/')`) {
		t.Error("the URL is in the tab's storage")
	}
	p.checkA11y("authorize, listener URL made")
	p.shot("02-listener-made")

	// Copy: to the clipboard, or, where the page may not write it, the text
	// selected to copy by hand.
	p.do("copy", chromedp.Click(chromedp.ID("copy-listener")))
	p.waitFor("copied or selected", `/Copied|Selected/.test(document.getElementById('listener-copied').textContent)`, 5*time.Second)
	if got := eval[string](p, `document.getElementById('copy-listener').textContent`); got != "Copy the listener URL" {
		t.Errorf("the copy button's name: %q", got)
	}
	p.shot("03-listener-copied")

	if code := notify(first); code != http.StatusAccepted {
		t.Fatalf("a notification to the new URL: %d, want 202", code)
	}

	// A reload: the URL is gone, when it was made is said.
	p.do("reload", chromedp.Reload())
	p.step("the card after a reload", chromedp.WaitVisible(chromedp.ID("rotate-listener")))
	if got := p.text("#listener-status"); !strings.Contains(got, "Listener URL made ") || !strings.Contains(got, time.Now().In(mustZone(t)).Format("2006")) {
		t.Errorf("after a reload: %q", got)
	}
	if eval[bool](p, `!!document.getElementById('listener-url') || document.documentElement.outerHTML.includes(`+jsString(mustKey(t, first))+`)`) {
		t.Error("the URL is shown again after a reload")
	}
	p.checkA11y("authorize, listening")
	p.shot("04-listening")

	// A new URL: confirmed first; the old one then answers 404.
	p.do("make a new URL", chromedp.Click(chromedp.ID("rotate-listener")))
	p.step("the confirmation", chromedp.WaitVisible(chromedp.ID("confirm-dialog")))
	if got := p.text("#confirm-dialog"); !strings.Contains(got, "stops working") {
		t.Errorf("the confirmation of a new URL: %q", got)
	}
	p.checkA11y("make a new URL: confirmation")
	p.shot("05-new-url-confirm")
	p.do("confirm", chromedp.Click(chromedp.ID("confirm-yes")))
	p.step("the new URL", chromedp.WaitVisible(chromedp.ID("listener-url")))
	second := eval[string](p, `document.getElementById('listener-url').value`)
	if second == first || !strings.Contains(second, "/hooks/peoplehr?key=") {
		t.Fatalf("the new URL: %q (the old %q)", second, first)
	}
	if got := p.text("#listener-result"); !strings.Contains(got, "old one stopped working") {
		t.Errorf("the result of a new URL: %q", got)
	}
	if !eval[bool](p, `document.activeElement.id === 'listener-url'`) {
		t.Error("the new URL's field does not have the focus")
	}
	p.checkA11y("authorize, a new URL")
	p.shot("06-new-url")
	if code := notify(first); code != http.StatusNotFound {
		t.Errorf("a notification to the old URL: %d, want 404", code)
	}
	if code := notify(second); code != http.StatusAccepted {
		t.Errorf("a notification to the new URL: %d, want 202", code)
	}

	// Stop listening: confirmed; the URL then answers 404, and the card
	// offers to make one again.
	p.do("stop listening", chromedp.Click(chromedp.ID("stop-listener")))
	p.step("the confirmation", chromedp.WaitVisible(chromedp.ID("confirm-dialog")))
	p.checkA11y("stop listening: confirmation")
	p.shot("07-stop-confirm")
	p.do("confirm", chromedp.Click(chromedp.ID("confirm-yes")))
	p.step("no listener", chromedp.WaitVisible(chromedp.ID("make-listener")))
	if eval[bool](p, `!!document.getElementById('listener-url') || document.documentElement.outerHTML.includes(`+jsString(mustKey(t, second))+`)`) {
		t.Error("the URL stays in the page after it was stopped")
	}
	if got := p.text("#listener-result"); !strings.Contains(got, "Stopped listening") {
		t.Errorf("the result of stopping: %q", got)
	}
	if !eval[bool](p, `document.activeElement.id === 'make-listener'`) {
		t.Error("after stopping, the focus is not on the button to make one")
	}
	p.checkA11y("authorize, stopped")
	p.shot("08-stopped")
	if code := notify(second); code != http.StatusNotFound {
		t.Errorf("a notification to the stopped URL: %d, want 404", code)
	}

	// A URL made, then the step left: it is no longer in the page.
	p.do("make one more", chromedp.Click(chromedp.ID("make-listener")))
	p.step("the URL", chromedp.WaitVisible(chromedp.ID("listener-url")))
	third := eval[string](p, `document.getElementById('listener-url').value`)
	p.do("to the mapping", chromedp.Click(chromedp.CSS(`#authorize-next a`)))
	p.step("mapping", chromedp.WaitVisible(chromedp.ID("mapping-form")))
	if eval[bool](p, `[...document.querySelectorAll('input')].some((i) => i.value.includes(`+jsString(mustKey(t, third))+`)) || document.documentElement.outerHTML.includes(`+jsString(mustKey(t, third))+`)`) {
		t.Error("the URL stays in the page after the admin left the step")
	}
}

// mustKey is a listener URL's secret.
func mustKey(t *testing.T, hook string) string {
	t.Helper()
	u, err := url.Parse(hook)
	if err != nil || u.Query().Get("key") == "" {
		t.Fatalf("not a listener URL: %q", hook)
	}
	return u.Query().Get("key")
}
