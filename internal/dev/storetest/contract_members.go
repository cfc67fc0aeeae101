package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// NewMember is an invited member owed a welcome, named after its id.
func NewMember(id, email string) engine.Member {
	m := engine.Member{Status: engine.StatusInvited, Welcome: engine.WelcomeOwed}
	m.Values.Set(engine.EmployeeID, id)
	m.Values.Set(engine.Email, email)
	m.Values.Set(engine.FirstName, "Zoë "+id)
	return m
}

// Creates are the changes that create ms, in feed order.
func Creates(ms ...engine.Member) []engine.Change {
	out := make([]engine.Change, len(ms))
	for i, m := range ms {
		out[i] = engine.Change{Kind: engine.KindCreate, Row: i + 1, After: m}
	}
	return out
}

// Change is a change of kind planned from before, edit making its after.
func Change(kind engine.Kind, before engine.Member, edit func(*engine.Member)) engine.Change {
	after := before
	edit(&after)
	return engine.Change{Kind: kind, Before: &before, After: after}
}

func leave(m *engine.Member) {
	m.Status, m.LeftOn, m.PurgeOn = engine.StatusLeaver, "2026-03-10", "2026-05-09"
	m.PurgeAt = time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC)
}

var runs atomic.Int64

// apply applies changes as a new run and returns the employee ids of the
// conflicts.
func apply(t *testing.T, s Store, tenant string, changes ...engine.Change) []string {
	t.Helper()
	conflicts, err := s.Apply(context.Background(), tenant, fmt.Sprintf("run-%d", runs.Add(1)), changes, nil)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return conflicted(t, conflicts)
}

// conflicted are the employee ids of conflicts, sorted; each conflict must
// say why, for the run's error file.
func conflicted(t *testing.T, conflicts []engine.Conflict) []string {
	t.Helper()
	var ids []string
	for _, c := range conflicts {
		if c.Reason == "" {
			t.Errorf("the conflict of %s gives no reason", c.Change.EmployeeID())
		}
		ids = append(ids, c.Change.EmployeeID())
	}
	slices.Sort(ids)
	return ids
}

func member(t *testing.T, s Store, tenant, id string) engine.Member {
	t.Helper()
	m, err := s.GetMember(context.Background(), tenant, id)
	if err != nil {
		t.Fatalf("get member %s: %v", id, err)
	}
	return m
}

func members(t *testing.T, s Store, tenant string) []engine.Member {
	t.Helper()
	ms, err := s.Members(context.Background(), tenant)
	if err != nil {
		t.Fatalf("members: %v", err)
	}
	return ms
}

func ids(ms []engine.Member) []string {
	out := make([]string, len(ms))
	for i := range ms {
		out[i] = ms[i].EmployeeID()
	}
	return out
}

// claims reports whether a stranger can claim address (and then drops the
// stranger again): whether the address is free.
func claims(t *testing.T, s Store, tenant, address string) bool {
	t.Helper()
	stranger := NewMember(fmt.Sprintf("X%d", runs.Add(1)), address)
	if conflicts := apply(t, s, tenant, Creates(stranger)...); len(conflicts) > 0 {
		return false
	}
	if conflicts := apply(t, s, tenant, Change(engine.KindClose, member(t, s, tenant, stranger.EmployeeID()), leave)); len(conflicts) > 0 {
		t.Fatalf("the stranger claiming %s could not leave", address)
	}
	return true
}

func testApply(t *testing.T, s Store, _ *Clock) {
	ctx := context.Background()
	// Enough creates for several of DynamoDB's transactions.
	var ms []engine.Member
	for i := range 130 {
		ms = append(ms, NewMember(fmt.Sprintf("E%03d", i), fmt.Sprintf("e%03d@x.example", i)))
	}
	var done atomic.Int64
	conflicts, err := s.Apply(ctx, "t1", "r1", Creates(ms...), &done)
	if err != nil || len(conflicts) != 0 || done.Load() != 130 {
		t.Fatalf("creates: %v %v, %d done", err, conflicts, done.Load())
	}
	stored := members(t, s, "t1")
	if len(stored) != 130 || !slices.IsSorted(ids(stored)) {
		t.Fatalf("%d members, in id order: %v", len(stored), slices.IsSorted(ids(stored)))
	}
	if other := members(t, s, "t2"); len(other) != 0 {
		t.Fatalf("tenant t2 sees %d members", len(other))
	}
	e0 := stored[0]
	if e0.Version != 1 || e0.Values.Get(engine.FirstName) != "Zoë E000" || e0.CreatedAt.IsZero() ||
		e0.LastRunID != "r1" || e0.LastChange != engine.KindCreate || e0.Welcome != engine.WelcomeOwed {
		t.Fatalf("stored %+v", e0)
	}

	// An update (a field cleared, one set) and a close.
	if c := apply(t, s, "t1",
		Change(engine.KindUpdate, e0, func(m *engine.Member) { m.Values.Set(engine.FirstName, ""); m.Values.Set(engine.Department, "Ops") }),
		Change(engine.KindClose, stored[1], leave),
	); len(c) != 0 {
		t.Fatalf("conflicts: %v", c)
	}
	got := member(t, s, "t1", "E000")
	if got.Values.Get(engine.FirstName) != "" || got.Values.Get(engine.Department) != "Ops" || got.Version != 2 ||
		got.LastChange != engine.KindUpdate || got.LastRunID == "r1" || !got.CreatedAt.Equal(e0.CreatedAt) {
		t.Errorf("updated %+v", got)
	}
	got = member(t, s, "t1", "E001")
	if got.Status != engine.StatusLeaver || got.PurgeOn != "2026-05-09" || !got.PurgeAt.Equal(time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("closed %+v", got)
	}

	// A stale change is a conflict, not an overwrite; so is a create of an
	// existing member by another run.
	if c := apply(t, s, "t1", append(Creates(ms[5]),
		Change(engine.KindUpdate, e0, func(m *engine.Member) { m.Values.Set(engine.Department, "Stale") }),
		Change(engine.KindClose, e0, leave))...); !slices.Equal(c, []string{"E000", "E000", "E005"}) {
		t.Fatalf("conflicts %v, want E000 twice and E005", c)
	}
	if got := member(t, s, "t1", "E000"); got.Values.Get(engine.Department) != "Ops" || got.Status == engine.StatusLeaver || got.Version != 2 {
		t.Errorf("a stale change overwrote a newer one: %+v", got)
	}
	if got := member(t, s, "t1", "E005"); got.Version != 1 {
		t.Errorf("a create rewrote E005: version %d", got.Version)
	}

	// The same run applying its own changes again (a resumed run) finds
	// its writes done: no conflict, nothing changed.
	again, err := s.Apply(ctx, "t1", "r1", Creates(ms[100:]...), nil)
	if err != nil || len(again) != 0 {
		t.Fatalf("replay by the same run: %v %+v", err, again)
	}
	if got := member(t, s, "t1", "E100"); got.Version != 1 {
		t.Errorf("a replay rewrote E100: version %d", got.Version)
	}
	if _, err := s.GetMember(ctx, "t2", "E100"); !errors.Is(err, integration.ErrNotFound) {
		t.Errorf("another tenant's member: %v", err)
	}
}

func testAddresses(t *testing.T, s Store, _ *Clock) {
	ms := []engine.Member{NewMember("E1", "e1@x.example"), NewMember("E2", "e2@x.example"), NewMember("E3", "e3@x.example"), NewMember("E4", "e4@x.example")}
	apply(t, s, "t1", Creates(ms...)...)
	ms = members(t, s, "t1")

	// An owned address cannot be taken, by a create or an update.
	if c := apply(t, s, "t1", Creates(NewMember("X1", "e1@x.example"))...); !slices.Equal(c, []string{"X1"}) {
		t.Fatalf("a stranger's create: conflicts %v", c)
	}
	if c := apply(t, s, "t1", Change(engine.KindUpdate, ms[3], func(m *engine.Member) { m.Values.Set(engine.Email, "e1@x.example") })); !slices.Equal(c, []string{"E4"}) {
		t.Fatalf("an update onto an owned address: conflicts %v", c)
	}
	if !claims(t, s, "t2", "e1@x.example") {
		t.Error("tenants do not share addresses")
	}

	// Two members swap addresses in one plan: each releases before either
	// claims.
	if c := apply(t, s, "t1",
		Change(engine.KindUpdate, ms[0], func(m *engine.Member) { m.Values.Set(engine.Email, "e2@x.example") }),
		Change(engine.KindUpdate, ms[1], func(m *engine.Member) { m.Values.Set(engine.Email, "e1@x.example") }),
	); len(c) != 0 {
		t.Fatalf("swap: conflicts %v", c)
	}
	if claims(t, s, "t1", "e1@x.example") || claims(t, s, "t1", "e2@x.example") {
		t.Error("a swapped address was left free")
	}
	// Each address is its new holder's: a leaver gives it up, a new hire
	// takes it.
	e2 := member(t, s, "t1", "E2")
	if e2.Email() != "e1@x.example" {
		t.Fatalf("E2's address %s", e2.Email())
	}
	if c := apply(t, s, "t1", Change(engine.KindClose, e2, leave)); len(c) != 0 {
		t.Fatalf("E2 leaving: conflicts %v", c)
	}
	if !claims(t, s, "t1", "e1@x.example") {
		t.Error("a leaver's address was not released")
	}
	// A member changing address frees the old one.
	e3 := member(t, s, "t1", "E3")
	if c := apply(t, s, "t1", Change(engine.KindUpdate, e3, func(m *engine.Member) { m.Values.Set(engine.Email, "e3new@x.example") })); len(c) != 0 {
		t.Fatalf("E3's move: conflicts %v", c)
	}
	if !claims(t, s, "t1", "e3@x.example") || claims(t, s, "t1", "e3new@x.example") {
		t.Error("a moved address: the old one not freed, or the new one not taken")
	}
}

func testRelinks(t *testing.T, s Store, clk *Clock) {
	apply(t, s, "t1", Creates(NewMember("OLD", "a@x.example"))...)
	old := member(t, s, "t1", "OLD")
	clk.Add(time.Hour)
	relink := Change(engine.KindRelink, old, func(m *engine.Member) { m.Values.Set(engine.EmployeeID, "NEW") })
	if c := apply(t, s, "t1", relink); len(c) != 0 {
		t.Fatalf("relink: conflicts %v", c)
	}
	if _, err := s.GetMember(context.Background(), "t1", "OLD"); !errors.Is(err, integration.ErrNotFound) {
		t.Errorf("the old id is still there: %v", err)
	}
	moved := member(t, s, "t1", "NEW")
	if moved.Email() != "a@x.example" || !moved.CreatedAt.Equal(old.CreatedAt) || moved.Version != old.Version+1 ||
		moved.LastChange != engine.KindRelink || moved.Welcome != old.Welcome || moved.Values.Get(engine.FirstName) != "Zoë OLD" {
		t.Errorf("relinked %+v, from %+v", moved, old)
	}
	// The address followed the member: it holds it, and releases it.
	if claims(t, s, "t1", "a@x.example") {
		t.Error("the relinked member's address was free")
	}
	if c := apply(t, s, "t1", Change(engine.KindClose, moved, leave)); len(c) != 0 {
		t.Fatalf("the relinked member leaving: conflicts %v", c)
	}
	if !claims(t, s, "t1", "a@x.example") {
		t.Error("the relinked member's address was not released")
	}
	// A relink planned against a member that moved on is a conflict.
	apply(t, s, "t1", Creates(NewMember("B1", "b@x.example"))...)
	b1 := member(t, s, "t1", "B1")
	apply(t, s, "t1", Change(engine.KindUpdate, b1, func(m *engine.Member) { m.Values.Set(engine.Department, "Ops") }))
	if c := apply(t, s, "t1", Change(engine.KindRelink, b1, func(m *engine.Member) { m.Values.Set(engine.EmployeeID, "B2") })); !slices.Equal(c, []string{"B2"}) {
		t.Errorf("a stale relink: conflicts %v", c)
	}
	if _, err := s.GetMember(context.Background(), "t1", "B2"); !errors.Is(err, integration.ErrNotFound) {
		t.Errorf("a stale relink wrote the new id: %v", err)
	}
}

// An update writes what the plan changed, not the member it planned from:
// the welcome state the mailer moved meanwhile (without a new version)
// stays.
func testUpdatesKeepOthersWrites(t *testing.T, s Store, _ *Clock) {
	ctx := context.Background()
	apply(t, s, "t1", Creates(NewMember("E1", "e1@x.example"))...)
	planned := member(t, s, "t1", "E1")
	if _, err := s.ClaimWelcome(ctx, "t1", "E1", "hash", Start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishWelcome(ctx, "t1", "E1", integration.MailSent, "message-1"); err != nil {
		t.Fatal(err)
	}
	if c := apply(t, s, "t1", Change(engine.KindUpdate, planned, func(m *engine.Member) { m.Values.Set(engine.Department, "Ops") })); len(c) != 0 {
		t.Fatalf("conflicts %v", c)
	}
	if got := member(t, s, "t1", "E1"); got.Welcome != engine.WelcomeSent || got.Values.Get(engine.Department) != "Ops" {
		t.Errorf("welcome %s, department %q: want sent and Ops", got.Welcome, got.Values.Get(engine.Department))
	}
}

func testLeasedCreates(t *testing.T, s Store, _ *Clock) {
	ctx := context.Background()
	apply(t, s, "t1", Creates(NewMember("P1", "p1@x.example"))...) // by an earlier run
	lease, err := s.AcquireLease(ctx, "t1", "r1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var ms []engine.Member
	for i := range 60 {
		ms = append(ms, NewMember(fmt.Sprintf("E%03d", i), fmt.Sprintf("e%03d@x.example", i)))
	}
	var done atomic.Int64
	conflicts, err := s.ApplyLeased(ctx, lease, Creates(ms...), &done)
	if err != nil || len(conflicts) != 0 || done.Load() != 60 {
		t.Fatalf("leased creates: %v %v, %d done", err, conflicts, done.Load())
	}
	stored := members(t, s, "t1")
	if len(stored) != 61 || stored[59].Version != 1 || stored[59].LastRunID != "r1" || stored[59].LastChange != engine.KindCreate || stored[59].Welcome != engine.WelcomeOwed {
		t.Fatalf("%d members, the last %+v", len(stored), stored[len(stored)-1])
	}
	if claims(t, s, "t1", "e059@x.example") {
		t.Error("a leased create left its address free")
	}
	// A replay under the lease (a resumed run) rewrites the same members.
	if conflicts, err := s.ApplyLeased(ctx, lease, Creates(ms...), nil); err != nil || len(conflicts) != 0 {
		t.Fatalf("replay: %v %v", err, conflicts)
	}
	if n := len(members(t, s, "t1")); n != 61 {
		t.Errorf("%d members after the replay", n)
	}
	// Its other changes are conditional as Apply's are.
	stale := Change(engine.KindUpdate, stored[60], func(m *engine.Member) { m.Values.Set(engine.Department, "Ops") })
	stale.Before.Version = 7
	if conflicts, err := s.ApplyLeased(ctx, lease, []engine.Change{stale}, nil); err != nil || !slices.Equal(conflicted(t, conflicts), []string{"P1"}) {
		t.Errorf("a stale update under the lease: %v %v", err, conflicts)
	}
	// Without the lease, nothing is written.
	if err := s.ReleaseLease(ctx, lease); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyLeased(ctx, lease, Creates(NewMember("LATE", "late@x.example")), nil); !errors.Is(err, integration.ErrLeaseLost) {
		t.Fatalf("a released lease applied: %v", err)
	}
	if _, err := s.GetMember(ctx, "t1", "LATE"); !errors.Is(err, integration.ErrNotFound) {
		t.Errorf("a create without the lease was written: %v", err)
	}
}

func testMemberPages(t *testing.T, s Store, _ *Clock) {
	ctx := context.Background()
	var ms []engine.Member
	for i := range 7 {
		ms = append(ms, NewMember(fmt.Sprintf("E%d", i), fmt.Sprintf("e%d@x.example", i)))
	}
	apply(t, s, "t1", Creates(ms...)...)
	apply(t, s, "t2", Creates(NewMember("OTHER", "o@x.example"))...)
	stored := members(t, s, "t1")
	apply(t, s, "t1", Change(engine.KindClose, stored[1], leave), Change(engine.KindClose, stored[4], leave), Change(engine.KindClose, stored[6], leave))

	walk := func(status engine.Status, limit int) []string {
		t.Helper()
		return walkPages(t, limit, func(cursor string) ([]string, string, error) {
			page, next, err := s.ListMembers(ctx, "t1", status, cursor, limit)
			return ids(page), next, err
		})
	}
	if got := walk("", 3); !slices.Equal(got, []string{"E0", "E1", "E2", "E3", "E4", "E5", "E6"}) {
		t.Errorf("all members: %v", got)
	}
	if got := walk(engine.StatusLeaver, 2); !slices.Equal(got, []string{"E1", "E4", "E6"}) {
		t.Errorf("leavers: %v", got)
	}
	for _, bad := range []string{"not base64!", "UiNyMQ" /* a run's cursor */, "RSM"} {
		if _, _, err := s.ListMembers(ctx, "t1", "", bad, 2); !errors.Is(err, integration.ErrBadCursor) {
			t.Errorf("cursor %q: %v, want a bad cursor", bad, err)
		}
	}
}

// walkPages reads every page of a list, checking each holds at most limit
// items and that the pages end.
func walkPages(t *testing.T, limit int, list func(cursor string) ([]string, string, error)) []string {
	t.Helper()
	var all []string
	cursor := ""
	for range 50 {
		page, next, err := list(cursor)
		if err != nil {
			t.Fatalf("page after %q: %v", cursor, err)
		}
		if len(page) > limit {
			t.Fatalf("a page of %d, limit %d", len(page), limit)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		cursor = next
	}
	t.Fatal("the pages do not end")
	return nil
}

func testHeldPlans(t *testing.T, s Store, _ *Clock) {
	ctx := context.Background()
	var changes []engine.Change
	for i := range 40 {
		changes = append(changes, Creates(NewMember(fmt.Sprintf("E%02d", i), fmt.Sprintf("e%02d@x.example", i)))...)
		changes[i].Row = i + 1
	}
	closing := NewMember("C1", "c1@x.example")
	changes = append(changes, Change(engine.KindClose, closing, leave))
	for range 2 { // rewriting the same plan is harmless
		if err := s.SaveHeldPlan(ctx, "t1", "r1", changes); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.HeldPlan(ctx, "t1", "r1")
	if err != nil || len(got) != 41 {
		t.Fatalf("held plan: %v, %d changes", err, len(got))
	}
	if got[39].After.EmployeeID() != "E39" || got[0].Row != 1 || got[40].Before == nil || got[40].Before.Email() != "c1@x.example" ||
		!got[40].After.PurgeAt.Equal(changes[40].After.PurgeAt) || got[40].Kind != engine.KindClose {
		t.Errorf("held plan not kept exactly: %+v", got[40])
	}
	if other, err := s.HeldPlan(ctx, "t2", "r1"); err != nil || len(other) != 0 {
		t.Errorf("another tenant read the held plan: %v %d", err, len(other))
	}
}
