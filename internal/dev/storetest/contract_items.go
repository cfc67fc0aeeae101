package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

func testIntegrationVersions(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	in := &integration.Integration{TenantID: "t1", ProgrammeName: "Perks", Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping()}
	if err := s.PutIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	if in.Version != 1 || !in.UpdatedAt.Equal(clk.Now()) {
		t.Errorf("after the first save: version %d, updated %v", in.Version, in.UpdatedAt)
	}
	stale := *in
	in.ProgrammeName = "Perks+"
	if err := s.PutIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIntegration(ctx, &stale); !errors.Is(err, integration.ErrConflict) {
		t.Fatalf("stale save: %v, want a conflict", err)
	}
	got, err := s.GetIntegration(ctx, "t1")
	if err != nil || got.ProgrammeName != "Perks+" || got.Version != 2 || got.Mapping.Fields["email"] != "EmailId" || got.Settings.TimeZone != "Europe/London" {
		t.Fatalf("get: %v %+v", err, got)
	}
	got.Mapping.Fields["email"] = "changed by the reader"
	if again, _ := s.GetIntegration(ctx, "t1"); again.Mapping.Fields["email"] != "EmailId" {
		t.Error("a reader changed what is stored")
	}
	if _, err := s.GetIntegration(ctx, "t2"); !errors.Is(err, integration.ErrNotFound) {
		t.Fatalf("other tenant: %v", err)
	}
	if err := s.PutIntegration(ctx, &integration.Integration{TenantID: "a#b"}); err == nil {
		t.Fatal("a tenant id with # was stored")
	}
}

func testRuns(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	now := clk.Now()
	r := &integration.Run{TenantID: "t1", RunID: integration.NewRunID(now), Trigger: integration.TriggerManual, Status: integration.StatusQueued, QueuedAt: now}
	if err := s.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(ctx, r); !errors.Is(err, integration.ErrConflict) {
		t.Fatalf("second create: %v", err)
	}
	r.Status, r.Counts.Created, r.StartedAt, r.Phase, r.Processed = integration.StatusRunning, 3, now.Add(time.Second), integration.PhaseApplying, 2
	r.Phases = []integration.PhaseTime{{Phase: integration.PhaseFetching, StartedAt: now.Add(time.Second)}, {Phase: integration.PhaseApplying, StartedAt: now.Add(3 * time.Second)}}
	if err := s.SaveRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Phases[0].Phase = integration.PhasePlanning // the store kept its own copy
	got, err := s.GetRun(ctx, "t1", r.RunID)
	if err != nil || got.Status != integration.StatusRunning || got.Counts.Created != 3 || !got.StartedAt.Equal(r.StartedAt) ||
		!got.FinishedAt.IsZero() || got.Phase != integration.PhaseApplying || got.Processed != 2 || got.Trigger != integration.TriggerManual {
		t.Fatalf("get: %v %+v", err, got)
	}
	if len(got.Phases) != 2 || got.Phases[0].Phase != integration.PhaseFetching || !got.Phases[1].StartedAt.Equal(now.Add(3*time.Second)) {
		t.Fatalf("phases: %+v", got.Phases)
	}
	if _, err := s.GetRun(ctx, "t2", r.RunID); !errors.Is(err, integration.ErrNotFound) {
		t.Fatalf("another tenant read the run: %v", err)
	}
	if err := s.SaveRun(ctx, &integration.Run{TenantID: "t1", RunID: "nope"}); !errors.Is(err, integration.ErrNotFound) {
		t.Fatalf("save of a missing run: %v", err)
	}
}

func testRunPages(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	var want []string
	for i := range 5 {
		r := &integration.Run{TenantID: "t1", RunID: integration.NewRunID(clk.Now().Add(time.Duration(i) * time.Minute)), Status: integration.StatusQueued}
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		want = append([]string{r.RunID}, want...) // newest first
	}
	if err := s.CreateRun(ctx, &integration.Run{TenantID: "t2", RunID: integration.NewRunID(clk.Now()), Status: integration.StatusQueued}); err != nil {
		t.Fatal(err)
	}
	got := walkPages(t, 2, func(cursor string) ([]string, string, error) {
		page, next, err := s.ListRuns(ctx, "t1", cursor, 2)
		var ids []string
		for _, r := range page {
			ids = append(ids, r.RunID)
		}
		return ids, next, err
	})
	if !slices.Equal(got, want) {
		t.Errorf("runs %v, want %v", got, want)
	}
	if _, _, err := s.ListRuns(ctx, "t1", "RSNFMDE" /* a member's cursor */, 2); !errors.Is(err, integration.ErrBadCursor) {
		t.Errorf("a member's cursor: %v, want a bad cursor", err)
	}
}

func testLogPages(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	entry := func(employee, run, reason string) integration.LogEntry {
		return integration.LogEntry{EmployeeID: employee, RunID: run, Action: "update", Reason: reason, At: clk.Now(),
			Changes: []integration.FieldChange{{Field: "department", Old: "Sales", New: "Ops"}}}
	}
	if err := s.SaveLog(ctx, "t1", []integration.LogEntry{
		entry("E1", "r1", "first"), entry("E1", "r2", "second"), entry("E1", "r3", "third"), entry("E1", "r4", "fourth"), entry("E2", "r1", "E2's"),
	}); err != nil {
		t.Fatal(err)
	}
	// A run writes one entry per member: writing it again replaces it.
	if err := s.SaveLog(ctx, "t1", []integration.LogEntry{entry("E1", "r2", "second, again")}); err != nil {
		t.Fatal(err)
	}
	var reasons []string
	walkPages(t, 3, func(cursor string) ([]string, string, error) {
		page, next, err := s.MemberLog(ctx, "t1", "E1", cursor, 3)
		var runs []string
		for _, e := range page {
			runs, reasons = append(runs, e.RunID), append(reasons, e.Reason)
			if len(e.Changes) != 1 || e.Changes[0].New != "Ops" || !e.At.Equal(clk.Now()) {
				t.Errorf("entry %+v", e)
			}
		}
		return runs, next, err
	})
	if want := []string{"fourth", "third", "second, again", "first"}; !slices.Equal(reasons, want) {
		t.Errorf("E1's log %q, want %q", reasons, want)
	}
	if other, _, err := s.MemberLog(ctx, "t2", "E1", "", 10); err != nil || len(other) != 0 {
		t.Errorf("another tenant read the log: %v %d", err, len(other))
	}
}

func testLeases(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	busy := func(runID, wantHolder string, wantUntil time.Time) {
		t.Helper()
		_, err := s.AcquireLease(ctx, "t1", runID, time.Minute)
		var held *integration.LeaseHeldError
		if !errors.As(err, &held) || held.RunID != wantHolder || !held.ExpiresAt.Equal(wantUntil) {
			t.Fatalf("acquire for %s: %v, want held by %s until %v", runID, err, wantHolder, wantUntil)
		}
	}
	first, err := s.AcquireLease(ctx, "t1", "r1", time.Minute)
	if err != nil || first.TenantID != "t1" || first.RunID != "r1" || first.Holder == "" || !first.ExpiresAt.Equal(Start.Add(time.Minute)) {
		t.Fatalf("acquire: %v %+v", err, first)
	}
	busy("r2", "r1", first.ExpiresAt)
	busy("r1", "r1", first.ExpiresAt) // the same run's job delivered twice
	if _, err := s.AcquireLease(ctx, "t2", "r9", time.Minute); err != nil {
		t.Fatalf("another tenant's lease: %v", err)
	}

	// Renewed, it outlives its first expiry.
	clk.Add(50 * time.Second)
	renewed, err := s.RenewLease(ctx, first, time.Minute)
	if err != nil || renewed.Holder != first.Holder || !renewed.ExpiresAt.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("renew: %v %+v", err, renewed)
	}
	clk.Add(30 * time.Second)
	busy("r2", "r1", renewed.ExpiresAt)

	// Released, it is free; the old holder can neither renew nor release
	// the next one's.
	if err := s.ReleaseLease(ctx, renewed); err != nil {
		t.Fatal(err)
	}
	second, err := s.AcquireLease(ctx, "t1", "r2", time.Minute)
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	if _, err := s.RenewLease(ctx, first, time.Minute); !errors.Is(err, integration.ErrLeaseLost) {
		t.Errorf("renew by the old holder: %v, want lease lost", err)
	}
	if err := s.ReleaseLease(ctx, first); err != nil {
		t.Fatal(err)
	}
	busy("r3", "r2", second.ExpiresAt)

	// Expired (and not before), anyone may take it; the holder has lost it.
	clk.Add(time.Minute)
	busy("r3", "r2", second.ExpiresAt)
	clk.Add(time.Millisecond)
	third, err := s.AcquireLease(ctx, "t1", "r3", time.Minute)
	if err != nil || third.Holder == second.Holder {
		t.Fatalf("acquire of an expired lease: %v %+v", err, third)
	}
	if _, err := s.RenewLease(ctx, second, time.Minute); !errors.Is(err, integration.ErrLeaseLost) {
		t.Errorf("renew of a taken lease: %v, want lease lost", err)
	}
	if _, err := s.ApplyLeased(ctx, second, Creates(NewMember("E1", "e1@x.example")), nil); !errors.Is(err, integration.ErrLeaseLost) {
		t.Errorf("apply under a taken lease: %v, want lease lost", err)
	}
	if n := len(members(t, s, "t1")); n != 0 {
		t.Errorf("a taken lease wrote %d members", n)
	}
}

func testMailClaims(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	leaver := NewMember("L1", "l1@x.example")
	leave(&leaver)
	apply(t, s, "t1", Creates(NewMember("E1", "e1@x.example"), leaver)...)

	// Every claim has a token of its own, as the mailer's do.
	claims := 0
	claim := func(id string) error {
		claims++
		_, err := s.ClaimWelcome(ctx, "t1", id, fmt.Sprintf("hash-%d", claims), clk.Now().Add(14*24*time.Hour))
		return err
	}
	m, err := s.ClaimWelcome(ctx, "t1", "E1", "hash", clk.Now().Add(time.Hour))
	if err != nil || m.Email() != "e1@x.example" || m.Welcome != engine.WelcomeSending {
		t.Fatalf("claim: %v %+v", err, m)
	}
	if err := claim("E1"); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("second claim: %v, want a conflict", err)
	}
	// The same claim made again (a retry whose first answer was lost)
	// stands: its welcome is sent, not left sending for ever.
	if again, err := s.ClaimWelcome(ctx, "t1", "E1", "hash", clk.Now().Add(time.Hour)); err != nil || again.Welcome != engine.WelcomeSending {
		t.Errorf("the same claim again: %v %+v, want it to stand", err, again)
	}
	// Owed again (the send certainly failed), it is claimed again.
	if err := s.FinishWelcome(ctx, "t1", "E1", integration.MailOwed, "retry: throttled"); err != nil {
		t.Fatal(err)
	}
	if err := claim("E1"); err != nil {
		t.Fatalf("claim after a retry: %v", err)
	}
	if err := s.FinishWelcome(ctx, "t1", "E1", integration.MailSent, "message-1"); err != nil {
		t.Fatal(err)
	}
	if got := member(t, s, "t1", "E1"); got.Welcome != engine.WelcomeSent {
		t.Errorf("welcome %s, want sent", got.Welcome)
	}
	if err := claim("E1"); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("claim of a sent welcome: %v", err)
	}
	if err := s.FinishWelcome(ctx, "t1", "E1", integration.MailSent, "message-2"); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("finish of an unclaimed welcome: %v", err)
	}
	for _, id := range []string{"L1", "NOBODY"} {
		if err := claim(id); !errors.Is(err, integration.ErrConflict) && !errors.Is(err, integration.ErrNotFound) {
			t.Errorf("claim for %s: %v, want nothing to send", id, err)
		}
	}

	run := &integration.Run{TenantID: "t1", RunID: "r1", Status: integration.StatusSucceeded, Summary: integration.MailOwed}
	if err := s.CreateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimSummary(ctx, "t1", "r1"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimSummary(ctx, "t1", "r1"); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("second summary claim: %v", err)
	}
	if err := s.FinishSummary(ctx, "t1", "r1", integration.MailSent); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetRun(ctx, "t1", "r1"); got.Summary != integration.MailSent {
		t.Errorf("summary %s", got.Summary)
	}
	if err := s.ClaimSummary(ctx, "t2", "r1"); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("another tenant's summary: %v", err)
	}

	in := &integration.Integration{TenantID: "t1", Settings: integration.DefaultSettings(), ReauthNotice: integration.MailOwed}
	if err := s.PutIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimReauthNotice(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimReauthNotice(ctx, "t1"); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("second notice claim: %v", err)
	}
	if err := s.FinishReauthNotice(ctx, "t1", integration.MailFailed); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetIntegration(ctx, "t1"); got.ReauthNotice != integration.MailFailed {
		t.Errorf("notice %s", got.ReauthNotice)
	}
}

// scheduled is a published integration on an hourly schedule from Start.
func scheduled(t *testing.T, tenant string) *integration.Integration {
	t.Helper()
	in := &integration.Integration{TenantID: tenant, Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(),
		Published: true, State: integration.StateLive, Key: &integration.SealedKey{Ciphertext: []byte("sealed"), Last4: "1234"}}
	in.Settings.Frequency = "hourly"
	if err := in.ScheduleFrom(Start); err != nil {
		t.Fatal(err)
	}
	return in
}

// due lists the tenants due at now, from every bucket, checking each is in
// its own.
func due(t *testing.T, s Store, now time.Time) map[string]integration.Due {
	t.Helper()
	out := map[string]integration.Due{}
	for b := range integration.DueBuckets {
		ds, err := s.DueIntegrations(context.Background(), b, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if integration.DueBucket(d.TenantID) != b {
				t.Errorf("%s in bucket %d, not %d", d.TenantID, b, integration.DueBucket(d.TenantID))
			}
			out[d.TenantID] = d
		}
	}
	return out
}

func testRefusedKeys(t *testing.T, s Store, _ *Clock) {
	ctx := context.Background()
	in := scheduled(t, "t1")
	if err := s.PutIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	version := in.Version
	for i := 1; i <= 5; i++ {
		owed, err := s.KeyRefused(ctx, "t1")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetIntegration(ctx, "t1")
		if got.Version <= version || got.InvalidKeyStreak != i {
			t.Errorf("refusal %d: version %d (was %d), streak %d", i, got.Version, version, got.InvalidKeyStreak)
		}
		version = got.Version
		switch {
		case i < integration.ReauthAfter && (owed || got.State != integration.StateLive || len(due(t, s, in.DueAt)) != 1):
			t.Errorf("refusal %d: notice owed %v, state %s", i, owed, got.State)
		case i == integration.ReauthAfter && (!owed || got.State != integration.StateNeedsReauthorization || got.ReauthNotice != integration.MailOwed || !got.DueAt.IsZero()):
			t.Errorf("refusal %d: notice owed %v, %+v", i, owed, got)
		case i == integration.ReauthAfter && len(due(t, s, in.DueAt.Add(24*time.Hour))) != 0:
			t.Errorf("an integration needing re-authorization is still scheduled")
		case i == integration.ReauthAfter+1 && !owed:
			t.Errorf("refusal %d: the notice, still owed, was not owed", i)
		case i == integration.ReauthAfter+1:
			if err := s.ClaimReauthNotice(ctx, "t1"); err != nil {
				t.Fatal(err)
			}
			if err := s.FinishReauthNotice(ctx, "t1", integration.MailSent); err != nil {
				t.Fatal(err)
			}
		case i > integration.ReauthAfter+1 && owed:
			t.Errorf("refusal %d: a sent notice owed again", i)
		}
	}
	if err := s.KeyAccepted(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetIntegration(ctx, "t1")
	if got.InvalidKeyStreak != 0 || got.Version <= version {
		t.Errorf("after an accepted key: streak %d, version %d", got.InvalidKeyStreak, got.Version)
	}
	if err := s.KeyAccepted(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.GetIntegration(ctx, "t1"); again.Version != got.Version {
		t.Errorf("an accepted key without a streak wrote: version %d, was %d", again.Version, got.Version)
	}
	if _, err := s.KeyRefused(ctx, "nobody"); err == nil {
		t.Error("a refused key counted for a tenant without an integration")
	}
}

func testSchedule(t *testing.T, s Store, _ *Clock) {
	ctx := context.Background()
	var ins []*integration.Integration
	for i := range 6 {
		in := scheduled(t, fmt.Sprintf("tenant%d", i))
		if err := s.PutIntegration(ctx, in); err != nil {
			t.Fatal(err)
		}
		ins = append(ins, in)
	}
	draft := scheduled(t, "draft")
	draft.Published = false
	if err := s.PutIntegration(ctx, draft); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetIntegration(ctx, "draft"); !got.NextRunAt.IsZero() || !got.DueAt.IsZero() {
		t.Errorf("an unscheduled integration kept its slot: %+v", got)
	}
	latest := ins[0].DueAt
	for _, in := range ins {
		if in.DueAt.After(latest) {
			latest = in.DueAt
		}
	}
	if n := len(due(t, s, ins[0].NextRunAt.Add(-time.Second))); n != 0 {
		t.Errorf("%d due before their slot", n)
	}
	all := due(t, s, latest)
	if len(all) != len(ins) {
		t.Fatalf("%d due, want %d: %v", len(all), len(ins), all)
	}
	first := all["tenant0"]
	if !first.NextRunAt.Equal(ins[0].NextRunAt) || first.Settings.Frequency != "hourly" {
		t.Errorf("due %+v", first)
	}

	// Advanced once from its slot: a second advance from the same slot
	// (another scheduler on the same tick) is a conflict.
	next := first.NextRunAt.Add(time.Hour)
	if err := s.AdvanceSchedule(ctx, "tenant0", first.NextRunAt, next, next.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.AdvanceSchedule(ctx, "tenant0", first.NextRunAt, next, next.Add(time.Minute)); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("second advance: %v, want a conflict", err)
	}
	if _, ok := due(t, s, latest)["tenant0"]; ok {
		t.Error("an advanced tenant is still due")
	}
	if d, ok := due(t, s, next.Add(time.Minute))["tenant0"]; !ok || !d.NextRunAt.Equal(next) {
		t.Errorf("at its next slot: %+v, due %v", d, ok)
	}
	for _, tenant := range []string{"draft", "nobody"} {
		if err := s.AdvanceSchedule(ctx, tenant, Start, next, next); !errors.Is(err, integration.ErrConflict) {
			t.Errorf("advance of %s: %v, want a conflict", tenant, err)
		}
	}
}

// Two runs apply updates planned from the same read at once: each member
// gets one of them, the other is a conflict; two deliveries of the same
// run find each other's writes their own.
func testConcurrentAppliers(t *testing.T, s Store, _ *Clock) {
	var ms []engine.Member
	for i := range 8 {
		ms = append(ms, NewMember(fmt.Sprintf("E%d", i), fmt.Sprintf("e%d@x.example", i)))
	}
	apply(t, s, "t1", Creates(ms...)...)
	for _, sameRun := range []bool{false, true} {
		read := members(t, s, "t1")
		conflicts := make([][]engine.Conflict, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for w := range 2 {
			var changes []engine.Change
			for _, m := range read {
				changes = append(changes, Change(engine.KindUpdate, m, func(m *engine.Member) { m.Values.Set(engine.Department, fmt.Sprintf("dept %v %d", sameRun, w)) }))
			}
			runID := fmt.Sprintf("writer-%d", w)
			if sameRun {
				runID = "the-run"
			}
			wg.Go(func() { conflicts[w], errs[w] = s.Apply(context.Background(), "t1", runID, changes, nil) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		n := len(conflicts[0]) + len(conflicts[1])
		if sameRun && n != 0 || !sameRun && n != len(read) {
			t.Errorf("same run %v: %d conflicts", sameRun, n)
		}
		for i, m := range members(t, s, "t1") {
			if m.Version != read[i].Version+1 {
				t.Errorf("same run %v: %s at version %d, from %d", sameRun, m.EmployeeID(), m.Version, read[i].Version)
			}
		}
	}
}

// Lease takers at once: one gets the lease, the others are told whose it is.
func testConcurrentLeaseTakers(t *testing.T, s Store, _ *Clock) {
	const takers = 8
	leases := make([]integration.Lease, takers)
	errs := make([]error, takers)
	var wg sync.WaitGroup
	for i := range takers {
		wg.Go(func() {
			leases[i], errs[i] = s.AcquireLease(context.Background(), "t1", fmt.Sprintf("r%d", i), time.Minute)
		})
	}
	wg.Wait()
	winner := ""
	for i, err := range errs {
		if err == nil {
			if winner != "" {
				t.Fatalf("two takers hold the lease: %s and %s", winner, leases[i].RunID)
			}
			winner = leases[i].RunID
		}
	}
	if winner == "" {
		t.Fatalf("nobody got the lease: %v", errs)
	}
	for _, err := range errs {
		var held *integration.LeaseHeldError
		if err != nil && (!errors.As(err, &held) || held.RunID != winner) {
			t.Errorf("a loser was told %v, want held by %s", err, winner)
		}
	}
}

// racers is how many callers race for one thing in the concurrency tests.
const racers = 8

// race calls try from racers goroutines at once and returns how many
// succeeded; every failure must be lost (the expected refusal).
func race(t *testing.T, lost error, try func(i int) error) int {
	t.Helper()
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() { errs[i] = try(i) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, lost):
			t.Errorf("a racer was told %v, want %v", err, lost)
		}
	}
	return won
}

// Mailers claiming the same welcome at once: one sends it.
func testConcurrentClaims(t *testing.T, s Store, clk *Clock) {
	apply(t, s, "t1", Creates(NewMember("E1", "e1@x.example"))...)
	won := race(t, integration.ErrConflict, func(i int) error {
		_, err := s.ClaimWelcome(context.Background(), "t1", "E1", fmt.Sprintf("hash%d", i), clk.Now().Add(time.Hour))
		return err
	})
	if won != 1 {
		t.Errorf("%d mailers claimed the welcome, want 1", won)
	}
}
