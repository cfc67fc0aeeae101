package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// dueAt lists the due reminders of every shard at now.
func dueAt(t *testing.T, s Store, now time.Time) []integration.DueReminder {
	t.Helper()
	var out []integration.DueReminder
	for b := range integration.DueBuckets {
		rs, err := s.DueReminders(context.Background(), b, now)
		if err != nil {
			t.Fatalf("due reminders: %v", err)
		}
		for _, r := range rs {
			if integration.ReminderBucket(r.TenantID, r.EmployeeID) != b {
				t.Errorf("reminder %+v read from shard %d", r, b)
			}
		}
		out = append(out, rs...)
	}
	return out
}

func testReminders(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	apply(t, s, "t1", Creates(NewMember("E1", "e1@x.example"), NewMember("E2", "e2@x.example"))...)
	apply(t, s, "t2", Creates(NewMember("E1", "e1@x.example"))...)
	sendWelcome(t, s, clk, "t1", "E1", "h1")
	if m := member(t, s, "t1", "E1"); !m.InvitedAt.Equal(clk.Now()) || m.Reminders != 0 {
		t.Errorf("after the welcome: invited at %v, %d reminders", m.InvitedAt, m.Reminders)
	}
	at := clk.Now().Add(72 * time.Hour)
	if err := s.ScheduleReminder(ctx, "t1", "E1", 1, at); err != nil {
		t.Fatal(err)
	}
	if due := dueAt(t, s, at); len(due) != 0 {
		t.Errorf("due at its time to the second: %v, want nothing until the second has passed", due)
	}
	want := []integration.DueReminder{{TenantID: "t1", EmployeeID: "E1", N: 1}}
	if due := dueAt(t, s, at.Add(time.Second)); len(due) != 1 || due[0] != want[0] {
		t.Fatalf("due %v, want %v", due, want)
	}
	clk.Add(72*time.Hour + time.Second)
	if _, err := s.ClaimReminder(ctx, "t1", "E1", 2, "r2", clk.Now().Add(integration.InviteTTL)); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("claiming reminder 2 before 1: %v, want conflict", err)
	}
	if _, err := s.ClaimReminder(ctx, "t2", "E1", 1, "x", clk.Now().Add(integration.InviteTTL)); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("claiming another tenant's member, never sent a welcome: %v, want conflict", err)
	}
	if _, err := s.ClaimReminder(ctx, "t1", "E1", 1, "r1", clk.Now().Add(integration.InviteTTL)); err != nil {
		t.Fatalf("claim reminder: %v", err)
	}
	if due := dueAt(t, s, clk.Now().Add(time.Hour)); len(due) != 0 {
		t.Errorf("a claimed reminder is still due: %v", due)
	}
	if _, err := s.ClaimReminder(ctx, "t1", "E1", 1, "r1b", clk.Now().Add(integration.InviteTTL)); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("second claim: %v, want conflict", err)
	}
	// The same claim made again (a retry whose first answer was lost)
	// stands, or the reminder would stay sending for ever.
	if m, err := s.ClaimReminder(ctx, "t1", "E1", 1, "r1", clk.Now().Add(integration.InviteTTL)); err != nil || m.EmployeeID() != "E1" {
		t.Errorf("the same claim again: %v %+v, want it to stand", err, m)
	}
	if err := s.FinishReminder(ctx, "t1", "E1", 1, integration.MailSent); err != nil {
		t.Fatal(err)
	}
	if m := member(t, s, "t1", "E1"); m.Reminders != 1 || m.Welcome != engine.WelcomeSent {
		t.Errorf("after reminder 1: %d reminders, welcome %s", m.Reminders, m.Welcome)
	}
	// The reminder's link replaced the welcome's.
	if _, err := s.RedeemInvite(ctx, "t1", "h1"); !errors.Is(err, integration.ErrInviteSpent) {
		t.Errorf("the welcome's link after a reminder: %v, want spent", err)
	}
	if _, err := s.RedeemInvite(ctx, "t1", "r1"); err != nil {
		t.Fatalf("the reminder's link: %v", err)
	}
	// A member who joined, or left, is never reminded.
	if err := s.ScheduleReminder(ctx, "t1", "E1", 2, clk.Now()); err != nil {
		t.Fatal(err)
	}
	sendWelcome(t, s, clk, "t1", "E2", "h2")
	if err := s.ScheduleReminder(ctx, "t1", "E2", 1, clk.Now()); err != nil {
		t.Fatal(err)
	}
	apply(t, s, "t1", Change(engine.KindClose, member(t, s, "t1", "E2"), leave))
	// E1 joined before its 2nd; E2 left before its 1st: refused, and
	// nothing is due for either after the refusal.
	if due := dueAt(t, s, clk.Now().Add(time.Hour)); len(due) != 1 || due[0].EmployeeID != "E2" {
		t.Errorf("due before the claims: %v, want E2's (E1 joined before it was scheduled)", due)
	}
	for id, n := range map[string]int{"E1": 2, "E2": 1} {
		if _, err := s.ClaimReminder(ctx, "t1", id, n, "late-"+id, clk.Now().Add(integration.InviteTTL)); !errors.Is(err, integration.ErrConflict) {
			t.Errorf("reminding %s: %v, want conflict", id, err)
		}
	}
	if due := dueAt(t, s, clk.Now().Add(time.Hour)); len(due) != 0 {
		t.Errorf("due after the refused claims: %v", due)
	}
	// A tenant turning reminders off drops them whatever the member's state.
	apply(t, s, "t1", Creates(NewMember("E4", "e4@x.example"))...)
	sendWelcome(t, s, clk, "t1", "E4", "h4")
	if err := s.ScheduleReminder(ctx, "t1", "E4", 1, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelReminders(ctx, "t1", "E4"); err != nil {
		t.Fatal(err)
	}
	if due := dueAt(t, s, clk.Now().Add(time.Hour)); len(due) != 0 {
		t.Errorf("due after the cancel: %v", due)
	}
}

func testConcurrentReminderClaims(t *testing.T, s Store, clk *Clock) {
	apply(t, s, "t1", Creates(NewMember("E1", "e1@x.example"))...)
	sendWelcome(t, s, clk, "t1", "E1", "h1")
	won := race(t, integration.ErrConflict, func(i int) error {
		_, err := s.ClaimReminder(context.Background(), "t1", "E1", 1, fmt.Sprintf("r%d", i), clk.Now().Add(time.Hour))
		return err
	})
	if won != 1 {
		t.Errorf("%d mailers claimed the reminder, want 1", won)
	}
}

func testResends(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	apply(t, s, "t1", Creates(NewMember("E1", "e1@x.example"), NewMember("E2", "e2@x.example"), NewMember("E3", "e3@x.example"))...)
	sendWelcome(t, s, clk, "t1", "E1", "h1")
	if err := s.ResendInvite(ctx, "t1", "E9"); !errors.Is(err, integration.ErrNotFound) {
		t.Errorf("resend to no one: %v", err)
	}
	if err := s.ResendInvite(ctx, "t1", "E2"); !errors.Is(err, integration.ErrInviteOnItsWay) {
		t.Errorf("resend while the welcome is owed: %v, want on its way", err)
	}
	if err := s.ResendInvite(ctx, "t1", "E1"); err != nil {
		t.Fatalf("resend: %v", err)
	}
	if m := member(t, s, "t1", "E1"); m.Welcome != engine.WelcomeOwed {
		t.Errorf("after a resend the welcome is %s, want owed", m.Welcome)
	}
	if err := s.ResendInvite(ctx, "t1", "E1"); !errors.Is(err, integration.ErrInviteOnItsWay) {
		t.Errorf("second resend before the mailer: %v, want on its way", err)
	}
	sendWelcome(t, s, clk, "t1", "E1", "h1b")
	if _, err := s.RedeemInvite(ctx, "t1", "h1"); !errors.Is(err, integration.ErrInviteSpent) {
		t.Errorf("the old link after a resend: %v, want spent", err)
	}
	clk.Add(integration.ResendEvery - time.Second)
	var soon *integration.TooSoonError
	if err := s.ResendInvite(ctx, "t1", "E1"); !errors.As(err, &soon) || !soon.Next.Equal(clk.Now().Add(time.Second)) {
		t.Errorf("resend within a day: %v, want too soon until %v", err, clk.Now().Add(time.Second))
	}
	clk.Add(time.Second)
	if err := s.ResendInvite(ctx, "t1", "E1"); err != nil {
		t.Errorf("resend a day later: %v", err)
	}
	// Joined and left members get none.
	sendWelcome(t, s, clk, "t1", "E3", "h3")
	if _, err := s.RedeemInvite(ctx, "t1", "h3"); err != nil {
		t.Fatal(err)
	}
	if err := s.ResendInvite(ctx, "t1", "E3"); !errors.Is(err, integration.ErrJoined) {
		t.Errorf("resend to a member who joined: %v", err)
	}
	apply(t, s, "t1", Change(engine.KindClose, member(t, s, "t1", "E2"), leave))
	if err := s.ResendInvite(ctx, "t1", "E2"); !errors.Is(err, integration.ErrMemberLeft) {
		t.Errorf("resend to a leaver: %v", err)
	}
}
