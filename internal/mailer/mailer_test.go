package mailer_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/email"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/mailer"
)

// The mailer against the in-memory store (storetest keeps it to the
// DynamoDB store's contract) and a recording sender: no emulator.

const tenant = "acme"

// sender records what it sends; fail, if set, answers instead of sending.
type sender struct {
	mu   sync.Mutex
	sent []email.Message
	fail func(n int) error
	n    int
}

func (s *sender) Send(_ context.Context, m email.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.fail != nil {
		if err := s.fail(s.n); err != nil {
			return "", err
		}
	}
	s.sent = append(s.sent, m)
	return fmt.Sprintf("message-%d", s.n), nil
}

func (s *sender) messages() []email.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]email.Message(nil), s.sent...)
}

type env struct {
	clk    *storetest.Clock
	store  *storetest.Memory
	sender *sender
	m      *mailer.Mailer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvAt(t, time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
}

// newEnvAt is newEnv with the clock at start.
func newEnvAt(t *testing.T, start time.Time) *env {
	t.Helper()
	clk := storetest.NewClock(start)
	e := &env{clk: clk, store: storetest.NewMemory(clk.Now), sender: &sender{}}
	in := &integration.Integration{TenantID: tenant, ProgrammeName: "Acme Perks", AdminEmail: "Admin@Acme.example", Settings: integration.DefaultSettings()}
	in.Settings.SummaryRecipients = []string{"hr@acme.example", "admin@acme.example"}
	if err := e.store.PutIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	m, err := mailer.New(e.store, e.sender, mailer.Config{DashboardURL: "https://perks.example/dashboard", InviteBaseURL: "https://perks.example/invite"},
		slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	return e
}

// member stores a new member owed a welcome (or a leaver), created by a run.
func (e *env) member(t *testing.T, id string, leaver bool) {
	t.Helper()
	m := storetest.NewMember(id, strings.ToLower(id)+"@acme.example")
	m.Values.Set(engine.PreferredName, "Zed")
	if leaver {
		m.Status, m.LeftOn, m.PurgeOn = engine.StatusLeaver, "2026-03-01", "2026-05-01"
	}
	if _, err := e.store.Apply(context.Background(), tenant, "r1", storetest.Creates(m), nil); err != nil {
		t.Fatal(err)
	}
}

func (e *env) welcome(t *testing.T, id string) engine.Welcome {
	t.Helper()
	m, err := e.store.GetMember(context.Background(), tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Welcome
}

func welcomeJob(id string) integration.MailJob {
	return integration.MailJob{Kind: integration.MailWelcome, TenantID: tenant, EmployeeID: id}
}

// A welcome job delivered twice, and two mailers given it at once, send
// one email; a leaver gets none.
func TestAWelcomeIsSentOnce(t *testing.T) {
	e := newEnv(t)
	e.member(t, "E1", false)
	e.member(t, "L1", true)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := e.m.Handle(context.Background(), welcomeJob("E1")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, job := range []integration.MailJob{welcomeJob("E1"), welcomeJob("L1"), welcomeJob("NOBODY")} {
		if err := e.m.Handle(context.Background(), job); err != nil {
			t.Errorf("%s: %v", job.EmployeeID, err)
		}
	}
	sent := e.sender.messages()
	if len(sent) != 1 || sent[0].To[0] != "e1@acme.example" || sent[0].Subject != "Welcome to Acme Perks" || !strings.Contains(sent[0].Text, "Hello Zed,") {
		t.Fatalf("sent %+v", sent)
	}
	if w := e.welcome(t, "E1"); w != engine.WelcomeSent {
		t.Errorf("welcome %s, want sent", w)
	}
	link := sent[0].Text[strings.Index(sent[0].Text, "https://perks.example/invite?"):]
	u, err := url.Parse(strings.Fields(link)[0])
	if err != nil || u.Query().Get("tenant") != tenant || len(u.Query().Get("token")) < 40 {
		t.Errorf("invitation link %q: %v", link, err)
	}
}

// A send that certainly failed (throttled) leaves the welcome owed and the
// job retried; one refused for good is failed and never retried; one whose
// outcome is unknown stays sending, not retried: a second welcome is worse
// than a late one.
func TestAWelcomeSettlesByTheSendsOutcome(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantRetry bool
		want      engine.Welcome
		again     int // emails sent when the job comes again
	}{
		{"throttled", fmt.Errorf("SES: %w", email.ErrRetryLater), true, engine.WelcomeOwed, 1},
		{"address refused", fmt.Errorf("SES: %w", email.ErrRejected), false, engine.WelcomeFailed, 0},
		{"outcome unknown", errors.New("SES: connection reset after the request"), false, engine.WelcomeSending, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.member(t, "E1", false)
			e.sender.fail = func(int) error { return tt.err }
			err := e.m.Handle(context.Background(), welcomeJob("E1"))
			if (err != nil) != tt.wantRetry || e.welcome(t, "E1") != tt.want {
				t.Fatalf("err %v, welcome %s: want retry %v and %s", err, e.welcome(t, "E1"), tt.wantRetry, tt.want)
			}
			e.sender.fail = nil
			if err := e.m.Handle(context.Background(), welcomeJob("E1")); err != nil {
				t.Fatal(err)
			}
			if sent := len(e.sender.messages()); sent != tt.again {
				t.Errorf("the job again sent %d emails", sent)
			}
		})
	}
}

// A run's summary goes once to the admin and once to each extra
// recipient, each in an email of their own; a held run's says what to do.
func TestASummaryIsSentOnce(t *testing.T) {
	for _, tt := range []struct {
		status integration.Status
		want   []string
	}{
		{integration.StatusSucceededWithErrors, []string{"Acme Perks: PeopleHR import succeeded with errors", "Created: 4", "Errors: 1", "An error file lists",
			"Joined since the last import: 3", "Joined so far: 40 of 118 members"}},
		{integration.StatusHeld, []string{"Acme Perks: PeopleHR import is held for your approval", "Nothing was applied: 12 of 20 active members would be closed. Approve or discard"}},
	} {
		t.Run(string(tt.status), func(t *testing.T) {
			e := newEnv(t)
			run := &integration.Run{TenantID: tenant, RunID: "r1", Status: tt.status, Summary: integration.MailOwed, ErrorFileKey: "errors/acme/r1.csv",
				Counts: engine.Counts{Created: 4, Errors: 1, Total: 5}, FinishedAt: time.Date(2026, 3, 10, 9, 5, 0, 0, time.UTC),
				Members: &integration.MemberTotals{Members: 118, Joined: 40, JoinedSinceLast: 3}}
			if tt.status == integration.StatusHeld {
				run.HeldReason = "12 of 20 active members would be closed"
			}
			if err := e.store.CreateRun(context.Background(), run); err != nil {
				t.Fatal(err)
			}
			job := integration.MailJob{Kind: integration.MailSummary, TenantID: tenant, RunID: "r1"}
			for range 2 {
				if err := e.m.Handle(context.Background(), job); err != nil {
					t.Fatal(err)
				}
			}
			sent := e.sender.messages()
			if got := recipientsOf(sent); got != "admin@acme.example hr@acme.example" {
				t.Fatalf("sent to %q, want one email each to the admin and hr", got)
			}
			for _, msg := range sent {
				for _, w := range tt.want {
					if !strings.Contains(msg.Subject+"\n"+msg.Text, w) {
						t.Errorf("the summary lacks %q:\n%s\n%s", w, msg.Subject, msg.Text)
					}
				}
			}
			if got, _ := e.store.GetRun(context.Background(), tenant, "r1"); got.Summary != integration.MailSent {
				t.Errorf("summary %s", got.Summary)
			}
		})
	}
}

// recipientsOf is each email's To:, one email a field: an email to two
// addresses shows as "a,b".
func recipientsOf(sent []email.Message) string {
	var out []string
	for _, m := range sent {
		out = append(out, strings.Join(m.To, ","))
	}
	return strings.Join(out, " ")
}

// A summary throttled part-way is retried for the recipients still owed
// only: those already sent theirs are not mailed again (issue 15).
func TestASummaryRetriedSendsOnlyTheCopiesOwed(t *testing.T) {
	e := newEnv(t)
	run := &integration.Run{TenantID: tenant, RunID: "r1", Status: integration.StatusSucceeded, Summary: integration.MailOwed}
	if err := e.store.CreateRun(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	e.sender.fail = func(n int) error {
		if n == 2 {
			return fmt.Errorf("SES: %w", email.ErrRetryLater)
		}
		return nil
	}
	job := integration.MailJob{Kind: integration.MailSummary, TenantID: tenant, RunID: "r1"}
	if err := e.m.Handle(context.Background(), job); !errors.Is(err, email.ErrRetryLater) {
		t.Fatalf("throttled summary: %v, want a retry", err)
	}
	if got, _ := e.store.GetRun(context.Background(), tenant, "r1"); got.Summary != integration.MailOwed {
		t.Errorf("summary %s after a throttled copy, want owed", got.Summary)
	}
	for range 2 {
		if err := e.m.Handle(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	if got := recipientsOf(e.sender.messages()); got != "admin@acme.example hr@acme.example" {
		t.Errorf("sent to %q, want the admin once and hr once", got)
	}
}

// Recipients outside the tenant's domain, saved before the API refused
// them, are never mailed: not the summary, not the notice (issue 15).
func TestOutsideRecipientsAreNeverMailed(t *testing.T) {
	e := newEnv(t)
	in, err := e.store.GetIntegration(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	in.Settings.SummaryRecipients = append(in.Settings.SummaryRecipients, "victim@elsewhere.example", "x@evilacme.example")
	in.ReauthNotice = integration.MailOwed
	if err := e.store.PutIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	run := &integration.Run{TenantID: tenant, RunID: "r1", Status: integration.StatusSucceeded, Summary: integration.MailOwed}
	if err := e.store.CreateRun(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	for _, job := range []integration.MailJob{{Kind: integration.MailSummary, TenantID: tenant, RunID: "r1"}, {Kind: integration.MailReauth, TenantID: tenant}} {
		if err := e.m.Handle(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	if got := recipientsOf(e.sender.messages()); got != "admin@acme.example hr@acme.example admin@acme.example,hr@acme.example" {
		t.Errorf("sent to %q", got)
	}
}

// A programme name and a member's name carrying bidi overrides, isolates
// or controls (stored before the engine dropped them) reach no email: a
// U+202E in a subject would show the rest of it reversed (issue 15).
func TestNoBidiControlReachesAnEmail(t *testing.T) {
	e := newEnv(t)
	in, err := e.store.GetIntegration(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	in.ProgrammeName = "Acme \u202eskreP\u202c \u2066Club\u2069"
	if err := e.store.PutIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	m := storetest.NewMember("E1", "e1@acme.example")
	m.Values.Set(engine.FirstName, "Ann\u202egnp.exe\r\nBcc: x@evil.example")
	if _, err := e.store.Apply(context.Background(), tenant, "r1", storetest.Creates(m), nil); err != nil {
		t.Fatal(err)
	}
	run := &integration.Run{TenantID: tenant, RunID: "r1", Status: integration.StatusSucceeded, Summary: integration.MailOwed}
	if err := e.store.CreateRun(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	for _, job := range []integration.MailJob{welcomeJob("E1"), {Kind: integration.MailSummary, TenantID: tenant, RunID: "r1"}} {
		if err := e.m.Handle(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	sent := e.sender.messages()
	if len(sent) != 3 || sent[0].Subject != "Welcome to Acme skreP Club" || !strings.Contains(sent[0].Text, "Hello Anngnp.exe Bcc: x@evil.example,") {
		t.Fatalf("sent %+v", sent)
	}
	for _, msg := range sent {
		for _, part := range []string{msg.Subject, msg.Text, msg.HTML} {
			if i := strings.IndexFunc(part, func(r rune) bool { return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' }); i >= 0 {
				t.Errorf("a bidi control in %q", part[max(0, i-20):min(len(part), i+20)])
			}
		}
		if strings.ContainsAny(msg.Subject, "\r\n") {
			t.Errorf("a line break in the subject %q", msg.Subject)
		}
	}
}

// Over a tenant's daily quota an email is left owed, not sent and not
// dropped: the next day's run queues it again and it goes (issue 15).
func TestTheDailyQuotaDefersEmails(t *testing.T) {
	e := newEnv(t)
	clk := storetest.NewClock(time.Date(2026, 3, 10, 23, 0, 0, 0, time.UTC))
	m, err := mailer.New(e.store, e.sender, mailer.Config{WelcomesPerDay: 2, SummariesPerDay: 1}, slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"E1", "E2", "E3"} {
		e.member(t, id, false)
		if err := m.Handle(context.Background(), welcomeJob(id)); err != nil {
			t.Fatal(err)
		}
	}
	run := &integration.Run{TenantID: tenant, RunID: "r1", Status: integration.StatusSucceeded, Summary: integration.MailOwed}
	if err := e.store.CreateRun(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	summary := integration.MailJob{Kind: integration.MailSummary, TenantID: tenant, RunID: "r1"}
	if err := m.Handle(context.Background(), summary); err != nil {
		t.Fatal(err)
	}
	if got := recipientsOf(e.sender.messages()); got != "e1@acme.example e2@acme.example admin@acme.example" {
		t.Errorf("sent to %q, want two welcomes and one summary", got)
	}
	if w := e.welcome(t, "E3"); w != engine.WelcomeOwed {
		t.Errorf("the welcome over the quota is %s, want owed", w)
	}
	if got, _ := e.store.GetRun(context.Background(), tenant, "r1"); got.Summary != integration.MailOwed {
		t.Errorf("summary %s with a copy over the quota, want owed", got.Summary)
	}
	clk.Add(2 * time.Hour) // the next UTC day
	for _, job := range []integration.MailJob{welcomeJob("E3"), summary} {
		if err := m.Handle(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	if got := recipientsOf(e.sender.messages()); got != "e1@acme.example e2@acme.example admin@acme.example e3@acme.example hr@acme.example" {
		t.Errorf("sent to %q, want E3's welcome and hr's summary the next day", got)
	}
}

// The re-authorization notice goes once, and only while owed.
func TestTheReauthorizationNoticeIsSentOnce(t *testing.T) {
	e := newEnv(t)
	job := integration.MailJob{Kind: integration.MailReauth, TenantID: tenant}
	if err := e.m.Handle(context.Background(), job); err != nil || len(e.sender.messages()) != 0 {
		t.Fatalf("a notice not owed: %v, %d sent", err, len(e.sender.messages()))
	}
	for range integration.ReauthAfter {
		if _, err := e.store.KeyRefused(context.Background(), tenant); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := e.m.Handle(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	sent := e.sender.messages()
	if len(sent) != 1 || sent[0].Subject != "Acme Perks: reconnect PeopleHR" || !strings.Contains(sent[0].Text, "3 times in a row") {
		t.Fatalf("sent %+v", sent)
	}
	if in, _ := e.store.GetIntegration(context.Background(), tenant); in.ReauthNotice != integration.MailSent {
		t.Errorf("notice %s", in.ReauthNotice)
	}
}

func TestHandleRefusesBadJobs(t *testing.T) {
	e := newEnv(t)
	for _, job := range []integration.MailJob{
		{Kind: integration.MailWelcome, TenantID: "a#b", EmployeeID: "E1"},
		{Kind: "postcard", TenantID: tenant},
	} {
		if err := e.m.Handle(context.Background(), job); err == nil {
			t.Errorf("job %+v accepted", job)
		}
	}
	if _, err := mailer.New(nil, e.sender, mailer.Config{}, slog.New(slog.DiscardHandler), time.Now); err == nil {
		t.Error("a mailer without a store")
	}
}

// A full import's summary tells what PeopleHR's change runs applied since
// the import before it, which sent no summary of their own; change runs
// before that import, or queued after this one, are not counted again.
func TestASummaryCountsTheChangeRunsBeforeIt(t *testing.T) {
	e := newEnv(t)
	at := func(m int) time.Time { return time.Date(2026, 3, 10, 9, m, 0, 0, time.UTC) }
	runs := []*integration.Run{
		{RunID: "20260310T080000000000Z-peoplehr_change", Trigger: integration.TriggerPeopleHRChange, Counts: engine.Counts{Created: 7}},
		{RunID: "20260310T085000000000Z-schedule", Trigger: integration.TriggerSchedule},
		{RunID: "20260310T090000000000Z-peoplehr_change", Trigger: integration.TriggerPeopleHRChange, Counts: engine.Counts{Created: 1, Closed: 2}},
		{RunID: "20260310T090100000000Z-peoplehr_change", Trigger: integration.TriggerPeopleHRChange, Status: integration.StatusFailed},
		{RunID: "20260310T090200000000Z-peoplehr_change", Trigger: integration.TriggerPeopleHRChange, Counts: engine.Counts{Updated: 3, Errors: 1}},
		{RunID: "20260310T091000000000Z-schedule", Trigger: integration.TriggerSchedule, Summary: integration.MailOwed},
		{RunID: "20260310T091100000000Z-peoplehr_change", Trigger: integration.TriggerPeopleHRChange, Counts: engine.Counts{Created: 9}},
	}
	for i, r := range runs {
		r.TenantID, r.FinishedAt = tenant, at(i)
		if r.Status == "" {
			r.Status = integration.StatusSucceeded
		}
		if err := e.store.CreateRun(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.m.Handle(context.Background(), integration.MailJob{Kind: integration.MailSummary, TenantID: tenant, RunID: "20260310T091000000000Z-schedule"}); err != nil {
		t.Fatal(err)
	}
	want := "Applied from PeopleHR's change notifications since the last import (2 change runs):\ncreated 1, updated 3, closed 2, reactivated 0, errors 1"
	for _, msg := range e.sender.messages() {
		if !strings.Contains(msg.Text, want) || !strings.Contains(msg.HTML, "(2 change runs)") {
			t.Errorf("the summary lacks the change runs:\n%s", msg.Text)
		}
	}
	if len(e.sender.messages()) == 0 {
		t.Fatal("no summary sent")
	}
}
