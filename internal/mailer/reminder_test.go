package mailer_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// due lists the reminders due at the clock's time, in every shard.
func (e *env) due(t *testing.T) []integration.DueReminder {
	t.Helper()
	var out []integration.DueReminder
	for b := range integration.DueBuckets {
		rs, err := e.store.DueReminders(context.Background(), b, e.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rs...)
	}
	return out
}

// handleAtOnce gives job to two mailers at once, as a duplicate delivery
// racing the first would.
func (e *env) handleAtOnce(t *testing.T, job integration.MailJob) {
	t.Helper()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := e.m.Handle(context.Background(), job); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func reminderJob(id string, n int) integration.MailJob {
	return integration.MailJob{Kind: integration.MailReminder, TenantID: tenant, EmployeeID: id, Reminder: n}
}

func linkOf(t *testing.T, text string) string {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "https://perks.example/invite?") {
			return line
		}
	}
	t.Fatalf("no link in %q", text)
	return ""
}

// An invited member who does not join is reminded on the 3rd and the 10th
// local day (Europe/London, across the October clock change) at 09:00,
// each reminder once though two mailers race for it, each with a fresh
// link that spends the one before; then nothing more is due.
func TestRemindersGoOnTheirLocalDaysOnce(t *testing.T) {
	// Friday 23 October 2026, 15:00 in London (BST).
	e := newEnvAt(t, time.Date(2026, 10, 23, 14, 0, 0, 0, time.UTC))
	e.member(t, "E1", false)
	if err := e.m.Handle(context.Background(), welcomeJob("E1")); err != nil {
		t.Fatal(err)
	}
	links := []string{linkOf(t, e.sender.messages()[0].Text)}
	for _, step := range []struct {
		n   int
		due time.Time // 09:00 London, GMT after the 25th
	}{
		{1, time.Date(2026, 10, 26, 9, 0, 0, 0, time.UTC)},
		{2, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)},
	} {
		e.clk.Set(step.due.Add(-time.Second))
		if due := e.due(t); len(due) != 0 {
			t.Fatalf("reminder %d: due before its time: %v", step.n, due)
		}
		e.clk.Set(step.due.Add(time.Second))
		if due := e.due(t); len(due) != 1 || due[0] != (integration.DueReminder{TenantID: tenant, EmployeeID: "E1", N: step.n}) {
			t.Fatalf("reminder %d: due %v", step.n, due)
		}
		e.handleAtOnce(t, reminderJob("E1", step.n))
		e.handleAtOnce(t, reminderJob("E1", step.n)) // delivered again later
		msgs := e.sender.messages()
		if len(msgs) != 1+step.n {
			t.Fatalf("after reminder %d: %d emails, want %d", step.n, len(msgs), 1+step.n)
		}
		last := msgs[len(msgs)-1]
		if last.Subject != "Reminder: your Acme Perks account is waiting" || last.To[0] != "e1@acme.example" {
			t.Errorf("reminder %d: %q to %v", step.n, last.Subject, last.To)
		}
		links = append(links, linkOf(t, last.Text))
		if m, _ := e.store.GetMember(context.Background(), tenant, "E1"); m.Reminders != step.n {
			t.Errorf("after reminder %d the member counts %d", step.n, m.Reminders)
		}
	}
	e.clk.Add(30 * 24 * time.Hour)
	if due := e.due(t); len(due) != 0 {
		t.Errorf("due after the last reminder: %v", due)
	}
	// Only the newest link works.
	for i, link := range links {
		token := link[strings.Index(link, "token=")+len("token="):]
		_, err := e.store.RedeemInvite(context.Background(), tenant, integration.InviteHash(token))
		if i < len(links)-1 && err == nil {
			t.Errorf("link %d of %d still works", i+1, len(links))
		}
		// 30 days on, the newest has expired: it is the only one not spent.
		if i == len(links)-1 && !errors.Is(err, integration.ErrInviteExpired) {
			t.Errorf("the newest link: %v, want expired, not spent", err)
		}
	}
}

// A member who joined, or left, before a reminder's time gets none, and a
// tenant that turned reminders off sends none; nothing stays due.
func TestNoReminderForTheJoinedTheGoneOrWhenOff(t *testing.T) {
	e := newEnvAt(t, time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	for _, id := range []string{"J1", "L1", "O1"} {
		e.member(t, id, false)
		if err := e.m.Handle(context.Background(), welcomeJob(id)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	// J1 joins with its welcome's link.
	token := linkOf(t, e.sender.messages()[0].Text)
	token = token[strings.Index(token, "token=")+len("token="):]
	if _, err := e.store.RedeemInvite(ctx, tenant, integration.InviteHash(token)); err != nil {
		t.Fatal(err)
	}
	// L1 leaves.
	l1, _ := e.store.GetMember(ctx, tenant, "L1")
	closed := l1
	closed.Status, closed.LeftOn, closed.PurgeOn = engine.StatusLeaver, "2026-03-11", "2026-05-10"
	if _, err := e.store.Apply(ctx, tenant, "r2", []engine.Change{{Kind: engine.KindClose, Before: &l1, After: closed}}, nil); err != nil {
		t.Fatal(err)
	}
	e.clk.Add(4 * 24 * time.Hour)
	for _, id := range []string{"J1", "L1"} {
		if err := e.m.Handle(ctx, reminderJob(id, 1)); err != nil {
			t.Fatal(err)
		}
	}
	// The tenant turns reminders off.
	in, _ := e.store.GetIntegration(ctx, tenant)
	in.Settings.InviteReminders = false
	if err := e.store.PutIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Handle(ctx, reminderJob("O1", 1)); err != nil {
		t.Fatal(err)
	}
	if n := len(e.sender.messages()); n != 3 {
		t.Errorf("%d emails, want only the 3 welcomes", n)
	}
	if due := e.due(t); len(due) != 0 {
		t.Errorf("still due: %v", due)
	}
}
