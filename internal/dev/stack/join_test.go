package stack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/platformdev"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
)

// A new member closes the loop in a real browser: the first import's
// welcome email links to the platform's stand-in, pressing Join there
// redeems the invitation over the platform API, the API then reads the
// member as active and joined, and the admin console lists them as active.
// The link pressed again says it was used already. Screenshots go to
// screenshots/.
func TestJoinFromTheWelcomeEmail(t *testing.T) {
	ctx := context.Background()
	// The stand-in's address goes into the welcome links before the stack
	// exists, and the stand-in calls the stack's API: it listens first and
	// serves once both are up.
	join := httptest.NewUnstartedServer(nil)
	t.Cleanup(join.Close)
	joinBase := "http://" + join.Listener.Addr().String()
	st := startWith(t, stack.Options{Employees: joinFeed(), Log: testLog(t), InviteBaseURL: joinBase + "/join"})
	st.StartConsumers(ctx)
	api := serveAPI(t, st)
	standIn, err := platformdev.New(platformdev.Config{
		APIBaseURL: api,
		Token:      func(context.Context) (string, error) { return st.PlatformToken(auth.ScopeInvitationsRedeem) },
		Client:     &http.Client{Timeout: 10 * time.Second},
		Programme: func(ctx context.Context, tenant string) (string, error) {
			in, err := st.Store.GetIntegration(ctx, tenant)
			if err != nil {
				return "", err
			}
			return in.ProgrammeName, nil
		},
		Log: testLog(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	join.Config.Handler = standIn
	join.Start()

	seedAcme(t, st)
	run := runImport(t, st)
	waitMail(t, st, run.RunID)
	link := welcomeLink(t, "bob@acme.example", joinBase)

	p := newPage(t)
	p.do("follow the welcome link", chromedp.Navigate(link))
	p.step("the join page", chromedp.WaitVisible(chromedp.ID("join")))
	if got := p.text("#join"); got != "Join Acme Perks" {
		t.Errorf("the join button: %q", got)
	}
	p.checkA11y("join page")
	p.shot("01-join-page")
	p.do("press join", chromedp.Click(chromedp.ID("join")))
	p.step("joined", chromedp.WaitVisible(chromedp.CSS(`main[data-outcome="joined"]`)))
	if got := p.text("main"); !strings.Contains(got, "You have joined Acme Perks") || !strings.Contains(got, "Welcome, Bob!") {
		t.Errorf("the joined page: %q", got)
	}
	if loc, err := chromedp.Run(p.ctx, chromedp.Location()); err != nil || strings.Contains(loc, "token") {
		t.Errorf("the token stays in the address after joining: %q %v", loc, err)
	}
	p.checkA11y("joined page")
	p.shot("02-joined")

	var m struct {
		Status   string     `json:"status"`
		JoinedAt *time.Time `json:"joinedAt"`
	}
	platformGet(t, st, api+"/platform/tenants/"+tenant+"/members/E002", &m)
	if m.Status != "active" || m.JoinedAt == nil || time.Since(*m.JoinedAt) > 5*time.Minute {
		t.Errorf("the platform API reads the member as %+v, want active and joined just now", m)
	}

	// The same link pressed again: the invitation is spent.
	p.do("follow the welcome link again", chromedp.Navigate(link))
	p.step("the join page again", chromedp.WaitVisible(chromedp.ID("join")))
	p.do("press join again", chromedp.Click(chromedp.ID("join")))
	p.step("used already", chromedp.WaitVisible(chromedp.CSS(`main[data-outcome="invitation_spent"]`)))
	if got := p.text("h1"); got != "This invitation was used already" {
		t.Errorf("the second press: %q", got)
	}
	p.checkA11y("used already")
	p.shot("03-used-already")

	// The tenant's admin sees the member active; the others still invited.
	token, err := st.Token(tenant, "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	p.do("open the console", chromedp.Navigate(api+"/#token="+token))
	p.step("dashboard", chromedp.WaitVisible(chromedp.ID("import-now")))
	eval[string](p, `location.hash = '#/members'`)
	p.step("members", chromedp.WaitVisible(chromedp.CSS(`#members-table tr[data-member="E002"]`)))
	for _, c := range []struct{ id, status string }{{"E001", "Invited"}, {"E002", "Active"}, {"E003", "Invited"}} {
		got := eval[string](p, `document.querySelector('#members-table tr[data-member="`+c.id+`"] td:nth-of-type(3)').textContent`)
		if !strings.HasPrefix(got, c.status) {
			t.Errorf("the console's status of %s: %q, want %s", c.id, got, c.status)
		}
	}
	p.checkA11y("members after a join")
	p.shot("04-console-members")
}

func joinFeed() []peoplehrtest.Employee {
	return []peoplehrtest.Employee{
		emp("E001", "Ann", "ann@acme.example"),
		emp("E002", "Bob", "bob@acme.example"),
		emp("E003", "Cara", "cara@acme.example"),
	}
}

// welcomeLink is the join link of the welcome the SES emulator holds for
// to, among the emails of every test sharing it: the one pointing at this
// test's stand-in.
func welcomeLink(t *testing.T, to, joinBase string) string {
	t.Helper()
	emails, err := ses.Sent(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(regexp.QuoteMeta(joinBase+"/join?") + `\S+`)
	var links []string
	for _, e := range emails {
		if strings.HasPrefix(e.Subject, "Welcome to ") && slices.Contains(e.To, to) {
			if l := re.FindString(e.Text); l != "" {
				links = append(links, l)
			}
		}
	}
	if len(links) != 1 {
		t.Fatalf("want one welcome to %s linking to the stand-in, got %q", to, links)
	}
	return links[0]
}

// platformGet reads a platform API route as the platform's backend, with
// a token that may only read members.
func platformGet(t *testing.T, st *stack.Stack, url string, out any) {
	t.Helper()
	token, err := st.PlatformToken(auth.ScopeMembersRead)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
