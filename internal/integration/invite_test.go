package integration

import (
	"errors"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// Reminders go on the 3rd and 10th local day after the first invitation,
// at 09:00 local, whatever clock change falls between.
func TestReminderDue(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	newYork, _ := time.LoadLocation("America/New_York")
	sydney, _ := time.LoadLocation("Australia/Sydney")
	for _, tc := range []struct {
		name      string
		invitedAt string
		zone      *time.Location
		n         int
		want      string // "" for none
	}{
		{"london, first, over the autumn change", "2026-10-23T14:00:00Z", london, 1, "2026-10-26T09:00:00Z"},
		{"london, second", "2026-10-23T14:00:00Z", london, 2, "2026-11-02T09:00:00Z"},
		{"london, over the spring change", "2026-03-27T10:00:00Z", london, 1, "2026-03-30T08:00:00Z"},
		{"late evening UTC is the next local day in Sydney", "2026-06-01T20:00:00Z", sydney, 1, "2026-06-04T23:00:00Z"},
		{"new york, invited at 23:30 local", "2026-11-02T04:30:00Z", newYork, 1, "2026-11-04T14:00:00Z"},
		{"no third reminder", "2026-10-23T14:00:00Z", london, 3, ""},
		{"no reminder 0", "2026-10-23T14:00:00Z", london, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at, _ := time.Parse(time.RFC3339, tc.invitedAt)
			got, ok := ReminderDue(at, tc.zone, tc.n)
			if tc.want == "" {
				if ok {
					t.Errorf("reminder %d due %v, want none", tc.n, got)
				}
				return
			}
			if want, _ := time.Parse(time.RFC3339, tc.want); !ok || !got.Equal(want) {
				t.Errorf("reminder %d due %v (%v), want %v", tc.n, got.UTC(), ok, want)
			}
		})
	}
}

func TestCheckResend(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	invited := engine.Member{Status: engine.StatusInvited, Welcome: engine.WelcomeSent}
	with := func(edit func(*engine.Member)) engine.Member { m := invited; edit(&m); return m }
	for _, tc := range []struct {
		name string
		m    engine.Member
		last time.Time
		want error
	}{
		{"sent, never resent", invited, time.Time{}, nil},
		{"refused address, resent", with(func(m *engine.Member) { m.Welcome = engine.WelcomeFailed }), time.Time{}, nil},
		{"welcomes were off", with(func(m *engine.Member) { m.Welcome = engine.WelcomeNotSent }), time.Time{}, nil},
		{"a day ago exactly", invited, now.Add(-ResendEvery), nil},
		{"joined", with(func(m *engine.Member) { m.Status, m.Accepted = engine.StatusActive, true }), time.Time{}, ErrJoined},
		{"left", with(func(m *engine.Member) { m.Status = engine.StatusLeaver }), time.Time{}, ErrMemberLeft},
		{"owed", with(func(m *engine.Member) { m.Welcome = engine.WelcomeOwed }), time.Time{}, ErrInviteOnItsWay},
		{"sending", with(func(m *engine.Member) { m.Welcome = engine.WelcomeSending }), time.Time{}, ErrInviteOnItsWay},
		{"waiting for the start date", with(func(m *engine.Member) { m.Welcome = engine.WelcomeScheduled }), time.Time{}, ErrInviteOnItsWay},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckResend(&tc.m, tc.last, now); !errors.Is(err, tc.want) {
				t.Errorf("CheckResend: %v, want %v", err, tc.want)
			}
		})
	}
	var soon *TooSoonError
	if err := CheckResend(&invited, now.Add(-time.Hour), now); !errors.As(err, &soon) || !soon.Next.Equal(now.Add(23*time.Hour)) {
		t.Errorf("an hour after a resend: %v", err)
	}
}
