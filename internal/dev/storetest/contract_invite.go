package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// sendWelcome claims and settles a member's welcome with a token hash, as
// the mailer does when it sends one.
func sendWelcome(t *testing.T, s Store, clk *Clock, tenant, employeeID, hash string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.ClaimWelcome(ctx, tenant, employeeID, hash, clk.Now().Add(integration.InviteTTL)); err != nil {
		t.Fatalf("claim %s's welcome: %v", employeeID, err)
	}
	if err := s.FinishWelcome(ctx, tenant, employeeID, integration.MailSent, "message"); err != nil {
		t.Fatalf("finish %s's welcome: %v", employeeID, err)
	}
}

func testInvites(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	apply(t, s, "t1", Creates(NewMember("E1", "e1@x.example"), NewMember("E2", "e2@x.example"), NewMember("E3", "e3@x.example"))...)
	sendWelcome(t, s, clk, "t1", "E1", "h1")
	before := member(t, s, "t1", "E1")

	for _, tc := range []struct{ tenant, hash string }{{"t1", "unknown"}, {"t2", "h1"}} {
		if _, err := s.RedeemInvite(ctx, tc.tenant, tc.hash); !errors.Is(err, integration.ErrNotFound) {
			t.Errorf("redeem %s in %s: %v, want not found", tc.hash, tc.tenant, err)
		}
	}
	clk.Add(time.Hour)
	joined, err := s.RedeemInvite(ctx, "t1", "h1")
	if err != nil {
		t.Fatalf("redeem: %v", err)
	}
	stored := member(t, s, "t1", "E1")
	for what, m := range map[string]engine.Member{"returned": joined, "stored": stored} {
		if m.Status != engine.StatusActive || !m.Accepted || !m.JoinedAt.Equal(clk.Now()) || m.Version != before.Version+1 ||
			m.EmployeeID() != "E1" || m.Welcome != engine.WelcomeSent {
			t.Errorf("%s member after redeeming: %+v", what, m)
		}
	}
	if _, err := s.RedeemInvite(ctx, "t1", "h1"); !errors.Is(err, integration.ErrInviteSpent) {
		t.Errorf("second redemption: %v, want spent", err)
	}

	// A plan's update afterwards keeps the member joined.
	apply(t, s, "t1", Change(engine.KindUpdate, stored, func(m *engine.Member) { m.Values.Set(engine.Department, "Ops") }))
	if m := member(t, s, "t1", "E1"); m.Status != engine.StatusActive || !m.Accepted || !m.JoinedAt.Equal(joined.JoinedAt) || m.Values.Get(engine.Department) != "Ops" {
		t.Errorf("joined member after an update: %+v", m)
	}

	// A leaver's invitation opens nothing; an old one is expired.
	sendWelcome(t, s, clk, "t1", "E3", "h3")
	apply(t, s, "t1", Change(engine.KindClose, member(t, s, "t1", "E3"), leave))
	if _, err := s.RedeemInvite(ctx, "t1", "h3"); !errors.Is(err, integration.ErrMemberLeft) {
		t.Errorf("a leaver's redemption: %v, want member left", err)
	}
	sendWelcome(t, s, clk, "t1", "E2", "h2")
	clk.Add(integration.InviteTTL)
	if _, err := s.RedeemInvite(ctx, "t1", "h2"); !errors.Is(err, integration.ErrInviteExpired) {
		t.Errorf("redemption at expiry: %v, want expired", err)
	}
	if m := member(t, s, "t1", "E2"); m.Status != engine.StatusInvited || !m.JoinedAt.IsZero() {
		t.Errorf("a refused redemption changed the member: %+v", m)
	}

	// Sign-in by address: the holder only, in its own tenant.
	if m, err := s.MemberByEmail(ctx, "t1", "e1@x.example"); err != nil || m.EmployeeID() != "E1" {
		t.Errorf("member by email: %v %+v", err, m)
	}
	for _, tc := range []struct{ tenant, email string }{{"t1", "nobody@x.example"}, {"t2", "e1@x.example"}, {"t1", "e3@x.example"}} {
		if _, err := s.MemberByEmail(ctx, tc.tenant, tc.email); !errors.Is(err, integration.ErrNotFound) {
			t.Errorf("member by email %s in %s: %v, want not found", tc.email, tc.tenant, err)
		}
	}
}

func testConcurrentRedeemers(t *testing.T, s Store, clk *Clock) {
	apply(t, s, "t1", Creates(NewMember("E1", "e1@x.example"))...)
	sendWelcome(t, s, clk, "t1", "E1", "h1")
	won := race(t, integration.ErrInviteSpent, func(int) error {
		_, err := s.RedeemInvite(context.Background(), "t1", "h1")
		return err
	})
	if m := member(t, s, "t1", "E1"); won != 1 || m.Version != 2 {
		t.Errorf("%d of %d redeemed one invitation, member version %d", won, racers, m.Version)
	}
}
