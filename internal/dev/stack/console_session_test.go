package stack_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/peoplesync/peoplesync/internal/dev/stack"
)

// An attacker's link cannot swap an admin's session: a tab signed in for
// one tenant that opens /#token=<another tenant's token>, by a link into
// the open tab or a fresh load of the page, asks first, naming both
// tenants and admins with Cancel focused. Cancel and Escape keep the
// session (the fragment gone either way); only Switch signs in as the
// link's admin.
func TestConsoleLinkCannotSwapTheSession(t *testing.T) {
	st := startWith(t, stack.Options{Log: testLog(t)})
	base := serveAPI(t, st)
	token := func(tenant, email string) string {
		tok, err := st.Token(tenant, email)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	mine, theirs := token("victimco", "admin@victim.example"), token("attackerco", "admin@attacker.example")
	p := newPage(t)
	signedInAs := func(when, tok, email string) {
		t.Helper()
		p.step(when+": the dashboard", chromedp.WaitVisible(chromedp.ID("continue-setup")))
		if !eval[bool](p, `sessionStorage.getItem('peoplesync.token') === `+jsString(tok)) {
			t.Errorf("%s: the session holds another token", when)
		}
		if got := p.text("#who-email"); got != email {
			t.Errorf("%s: signed in as %q, want %q", when, got, email)
		}
		if loc, err := chromedp.Run(p.ctx, chromedp.Location()); err != nil || strings.Contains(loc, "token") {
			t.Errorf("%s: the token stays in the address: %q %v", when, loc, err)
		}
	}
	// asked waits for the question and checks it names who the tab is
	// signed in as and who the link would sign in, with Cancel focused.
	asked := func(when, shot string) {
		t.Helper()
		p.step(when+": the question", chromedp.WaitVisible(chromedp.ID("confirm-dialog")))
		if !eval[bool](p, `document.getElementById('confirm-dialog').open && document.activeElement.id === 'confirm-no'`) {
			t.Errorf("%s: the question does not start on Cancel", when)
		}
		text := p.text("#confirm-dialog")
		for _, want := range []string{"admin@victim.example", "“victimco”", "admin@attacker.example", "“attackerco”"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the question %q does not name %s", when, text, want)
			}
		}
		if loc, err := chromedp.Run(p.ctx, chromedp.Location()); err != nil || strings.Contains(loc, "token") {
			t.Errorf("%s: the token stays in the address while asking: %q %v", when, loc, err)
		}
		p.shot(shot)
	}

	p.do("sign in", chromedp.Navigate(base+"/#token="+mine))
	signedInAs("signed in", mine, "admin@victim.example")
	p.checkA11y("dashboard")
	p.shot("01-signed-in")

	// A link into the open tab: only the fragment changes.
	p.do("open the attacker's link", chromedp.Navigate(base+"/#token="+theirs))
	asked("a link into the tab", "02-switch-asked")
	p.do("cancel", chromedp.Click(chromedp.ID("confirm-no")))
	signedInAs("after Cancel", mine, "admin@victim.example")
	p.checkA11y("dashboard after Cancel")
	p.shot("03-after-cancel")

	// The same link loading the page afresh in the tab, Escaped.
	p.do("load the attacker's link", chromedp.Navigate(base+"/?from=mail#token="+theirs))
	asked("a fresh load", "04-switch-asked-on-load")
	p.do("escape", chromedp.KeyEvent(kb.Escape))
	signedInAs("after Escape", mine, "admin@victim.example")

	// Switching is possible, once asked for.
	p.do("open the link again", chromedp.Navigate(base+"/#token="+theirs))
	asked("again", "05-switch-asked-again")
	p.do("switch", chromedp.Click(chromedp.ID("confirm-yes")))
	signedInAs("after Switch", theirs, "admin@attacker.example")
	p.checkA11y("dashboard after Switch")
	p.shot("06-after-switch")
}
