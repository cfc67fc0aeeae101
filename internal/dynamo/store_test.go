package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dynamo"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

var (
	moto *devstack.Moto
	tpl  *devstack.Template
)

func TestMain(m *testing.M) {
	root, err := devstack.RepoRoot()
	if err == nil {
		tpl, err = devstack.LoadTemplate(filepath.Join(root, "template.yaml"))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "template:", err)
		os.Exit(1)
	}
	os.Exit(devstack.RunWithMoto(m, &moto))
}

var now = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// tables numbers the tables of the run, each provisioned anew.
var tables atomic.Int64

// newStore provisions a fresh table for the test and returns a store on
// it, its raw client and the table name.
func newStore(t *testing.T, wrap func(dynamo.API) dynamo.API) (*dynamo.Store, *dynamodb.Client, string) {
	t.Helper()
	cfg := devstack.AWSConfig(moto.Endpoint())
	prefix := fmt.Sprintf("t%d-", tables.Add(1))
	res, err := devstack.Provision(context.Background(), cfg, tpl, prefix)
	if err != nil {
		t.Fatalf("provision: %v", err)
	}
	client := devstack.NewClients(cfg).DynamoDB
	var api dynamo.API = client
	if wrap != nil {
		api = wrap(client)
	}
	table := res.Name("Table")
	// moto's transactions must not overlap (see wiring's store).
	return dynamo.New(api, table, dynamo.WithClock(func() time.Time { return now }), dynamo.WithRetry(4, time.Millisecond),
		dynamo.WithConcurrency(1)), client, table
}

func newMember(id, email string) engine.Member {
	m := engine.Member{Status: engine.StatusInvited, Welcome: engine.WelcomeOwed}
	m.Values[engine.EmployeeID], m.Values[engine.Email], m.Values[engine.FirstName] = id, email, "Zoë "+id
	return m
}

func create(ms ...engine.Member) []engine.Change {
	out := make([]engine.Change, len(ms))
	for i, m := range ms {
		out[i] = engine.Change{Kind: engine.KindCreate, Row: i + 1, After: m}
	}
	return out
}

func change(kind engine.Kind, before engine.Member, edit func(*engine.Member)) engine.Change {
	after := before
	edit(&after)
	return engine.Change{Kind: kind, Before: &before, After: after}
}

var runs atomic.Int64

// mustApply applies changes as a new run.
func mustApply(t *testing.T, s *dynamo.Store, tenant string, changes []engine.Change) []engine.Conflict {
	t.Helper()
	conflicts, err := s.Apply(context.Background(), tenant, fmt.Sprintf("run-%d", runs.Add(1)), changes, nil)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return conflicts
}

func owner(t *testing.T, c *dynamodb.Client, table, tenant, email string) string {
	t.Helper()
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "T#" + tenant + "#EMAIL#" + email},
		"SK": &types.AttributeValueMemberS{Value: "EMAIL"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := out.Item["owner"].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func TestIntegrationOptimisticLocking(t *testing.T) {
	s, _, _ := newStore(t, nil)
	ctx := context.Background()
	in := &integration.Integration{TenantID: "t1", ProgrammeName: "Perks", Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping()}
	if err := s.PutIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	stale := *in
	in.ProgrammeName = "Perks+"
	if err := s.PutIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIntegration(ctx, &stale); !errors.Is(err, integration.ErrConflict) {
		t.Fatalf("stale save: %v, want conflict", err)
	}
	got, err := s.GetIntegration(ctx, "t1")
	if err != nil || got.ProgrammeName != "Perks+" || got.Version != 2 || got.Mapping.Fields["email"] != "EmailId" || got.Settings.TimeZone != "Europe/London" {
		t.Fatalf("get: %v %+v", err, got)
	}
	if _, err := s.GetIntegration(ctx, "t2"); !errors.Is(err, integration.ErrNotFound) {
		t.Fatalf("other tenant: %v", err)
	}
	if err := s.PutIntegration(ctx, &integration.Integration{TenantID: "a#b"}); err == nil {
		t.Fatal("a tenant id with # was stored")
	}
}

func TestRuns(t *testing.T) {
	s, _, _ := newStore(t, nil)
	ctx := context.Background()
	r := &integration.Run{TenantID: "t1", RunID: integration.NewRunID(now), Trigger: integration.TriggerManual, Status: integration.StatusQueued, QueuedAt: now}
	if err := s.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(ctx, r); !errors.Is(err, integration.ErrConflict) {
		t.Fatalf("second create: %v", err)
	}
	r.Status, r.Counts.Created, r.StartedAt = integration.StatusRunning, 3, now.Add(time.Second)
	if err := s.SaveRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRun(ctx, "t1", r.RunID)
	if err != nil || got.Status != integration.StatusRunning || got.Counts.Created != 3 || !got.StartedAt.Equal(r.StartedAt) || !got.FinishedAt.IsZero() {
		t.Fatalf("get: %v %+v", err, got)
	}
	if _, err := s.GetRun(ctx, "t2", r.RunID); !errors.Is(err, integration.ErrNotFound) {
		t.Fatalf("another tenant read the run: %v", err)
	}
	if err := s.SaveRun(ctx, &integration.Run{TenantID: "t1", RunID: "nope"}); !errors.Is(err, integration.ErrNotFound) {
		t.Fatalf("save of a missing run: %v", err)
	}
}

func TestApplyLifecycle(t *testing.T) {
	s, c, table := newStore(t, nil)
	ctx := context.Background()
	// Enough creates for several transaction packs.
	var ms []engine.Member
	for i := range 130 {
		ms = append(ms, newMember(fmt.Sprintf("E%03d", i), fmt.Sprintf("e%03d@x.example", i)))
	}
	var progress atomic.Int64
	conflicts, err := s.Apply(ctx, "t1", "r1", create(ms...), &progress)
	if err != nil || len(conflicts) != 0 || progress.Load() != 130 {
		t.Fatalf("creates: %v %v progress %d", err, conflicts, progress.Load())
	}
	stored, err := s.Members(ctx, "t1")
	if err != nil || len(stored) != 130 {
		t.Fatalf("members: %v %d", err, len(stored))
	}
	if other, _ := s.Members(ctx, "t2"); len(other) != 0 {
		t.Fatalf("tenant t2 sees %d members", len(other))
	}
	e0, e1, e2 := stored[0], stored[1], stored[2]
	if e0.Version != 1 || e0.Values[engine.FirstName] != "Zoë E000" || e0.CreatedAt.IsZero() {
		t.Fatalf("stored %+v", e0)
	}

	// An update, a close, a swap of two addresses.
	e3, e4 := stored[3], stored[4]
	conflicts = mustApply(t, s, "t1", []engine.Change{
		change(engine.KindUpdate, e0, func(m *engine.Member) { m.Values[engine.FirstName] = ""; m.Values[engine.Department] = "Ops" }),
		change(engine.KindClose, e1, func(m *engine.Member) {
			m.Status, m.LeftOn, m.PurgeOn = engine.StatusLeaver, "2026-03-10", "2026-05-09"
		}),
		change(engine.KindUpdate, e3, func(m *engine.Member) { m.Values[engine.Email] = e4.Email() }),
		change(engine.KindUpdate, e4, func(m *engine.Member) { m.Values[engine.Email] = e3.Email() }),
	})
	if len(conflicts) != 0 {
		t.Fatalf("conflicts: %+v", conflicts)
	}
	got, _ := s.GetMember(ctx, "t1", "E000")
	if got.Values[engine.FirstName] != "" || got.Values[engine.Department] != "Ops" || got.Version != 2 || got.Welcome != engine.WelcomeOwed {
		t.Errorf("updated %+v", got)
	}
	got, _ = s.GetMember(ctx, "t1", "E001")
	if got.Status != engine.StatusLeaver || got.PurgeOn != "2026-05-09" {
		t.Errorf("closed %+v", got)
	}
	if o := owner(t, c, table, "t1", e1.Email()); o != "" {
		t.Errorf("a leaver still owns %s (%s)", e1.Email(), o)
	}
	if o3, o4 := owner(t, c, table, "t1", e3.Email()), owner(t, c, table, "t1", e4.Email()); o3 != "E004" || o4 != "E003" {
		t.Errorf("after the swap %s is %s's and %s is %s's", e3.Email(), o3, e4.Email(), o4)
	}
	purgeAt := rawAttr(t, c, table, "T#t1#M", "E#E001", "purgeAt")
	if want := fmt.Sprint(time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC).Unix()); purgeAt != want {
		t.Errorf("purgeAt = %s, want %s", purgeAt, want)
	}

	// Replays of applied changes are conflicts, never double writes; a
	// stranger cannot take an owned address.
	stranger := newMember("X1", e2.Email())
	conflicts = mustApply(t, s, "t1", append(create(ms[5], stranger),
		change(engine.KindUpdate, e0, func(m *engine.Member) { m.Values[engine.Department] = "Stale" })))
	if len(conflicts) != 3 {
		t.Fatalf("want 3 conflicts, got %+v", conflicts)
	}
	if _, err := s.GetMember(ctx, "t1", "X1"); !errors.Is(err, integration.ErrNotFound) {
		t.Errorf("the stranger was created: %v", err)
	}
	if got, _ := s.GetMember(ctx, "t1", "E000"); got.Values[engine.Department] != "Ops" {
		t.Errorf("a stale update overwrote a newer one: %+v", got)
	}

	// The same run applying its own creates again (a resumed run) finds
	// its writes done: no conflict, nothing changed.
	again, err := s.Apply(ctx, "t1", "r1", create(ms[100:]...), nil)
	if err != nil || len(again) != 0 {
		t.Fatalf("replay by the same run: %v %+v", err, again)
	}
	if got, _ := s.GetMember(ctx, "t1", "E100"); got.Version != 1 {
		t.Errorf("a replay rewrote E100: version %d", got.Version)
	}
}

func rawAttr(t *testing.T, c *dynamodb.Client, table, pk, sk, name string) string {
	t.Helper()
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk},
	}})
	if err != nil {
		t.Fatal(err)
	}
	switch v := out.Item[name].(type) {
	case *types.AttributeValueMemberN:
		return v.Value
	case *types.AttributeValueMemberS:
		return v.Value
	}
	return ""
}

// unprocessed hands back part of every BatchWriteItem as UnprocessedItems,
// as DynamoDB does under throttling and moto never does.
type unprocessed struct {
	dynamo.API
	calls, left atomic.Int64
}

func (u *unprocessed) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	u.calls.Add(1)
	if u.left.Add(-1) < 0 {
		return u.API.BatchWriteItem(ctx, in, o...)
	}
	for table, reqs := range in.RequestItems {
		half := len(reqs) / 2
		out, err := u.API.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs[:half]}}, o...)
		if err != nil {
			return nil, err
		}
		out.UnprocessedItems = map[string][]types.WriteRequest{table: reqs[half:]}
		return out, nil
	}
	return &dynamodb.BatchWriteItemOutput{}, nil
}

func TestHeldPlanSurvivesUnprocessedItems(t *testing.T) {
	u := &unprocessed{}
	u.left.Store(3)
	s, _, _ := newStore(t, func(api dynamo.API) dynamo.API { u.API = api; return u })
	var changes []engine.Change
	for i := range 40 {
		changes = append(changes, engine.Change{Kind: engine.KindCreate, Row: i + 1, After: newMember(fmt.Sprintf("E%02d", i), "x@y.example")})
	}
	ctx := context.Background()
	if err := s.SaveHeldPlan(ctx, "t1", "r1", changes); err != nil {
		t.Fatal(err)
	}
	if u.calls.Load() <= 2 {
		t.Fatalf("only %d batch calls: the unprocessed items were not resubmitted", u.calls.Load())
	}
	got, err := s.HeldPlan(ctx, "t1", "r1")
	if err != nil || len(got) != 40 || got[39].After.EmployeeID() != "E39" || got[0].Row != 1 {
		t.Fatalf("held plan: %v, %d changes", err, len(got))
	}
	if other, _ := s.HeldPlan(ctx, "t2", "r1"); len(other) != 0 {
		t.Fatal("another tenant read the held plan")
	}

	u.left.Store(1 << 30) // never processes the second half: bounded attempts, then an error
	if err := s.SaveHeldPlan(ctx, "t1", "r2", changes); err == nil || !strings.Contains(err.Error(), "unprocessed") {
		t.Fatalf("want an unprocessed error, got %v", err)
	}
}

// batchOrder records the BatchWriteItem calls and fails every
// TransactWriteItems: a leased plan's creates need none.
type batchOrder struct {
	unprocessed
	mu    sync.Mutex
	kinds []string // "owners" or "members" per call
}

func (b *batchOrder) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	for _, reqs := range in.RequestItems {
		pk := reqs[0].PutRequest.Item["PK"].(*types.AttributeValueMemberS).Value
		b.mu.Lock()
		if strings.Contains(pk, "#EMAIL#") {
			b.kinds = append(b.kinds, "owners")
		} else {
			b.kinds = append(b.kinds, "members")
		}
		b.mu.Unlock()
	}
	return b.unprocessed.BatchWriteItem(ctx, in, o...)
}

func (b *batchOrder) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return nil, errors.New("a leased create used a transaction")
}

// A leased plan's creates go 25 at a time, each batch's email owners
// before its members, resubmitting what DynamoDB leaves unprocessed.
func TestApplyLeasedBatchesCreatesOwnersFirst(t *testing.T) {
	b := &batchOrder{}
	b.left.Store(1) // the first call processes only half its items
	s, c, table := newStore(t, func(api dynamo.API) dynamo.API { b.API = api; return b })
	var ms []engine.Member
	for i := range 60 {
		ms = append(ms, newMember(fmt.Sprintf("E%03d", i), fmt.Sprintf("e%03d@x.example", i)))
	}
	lease, err := s.AcquireLease(context.Background(), "t1", "r1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var progress atomic.Int64
	conflicts, err := s.ApplyLeased(context.Background(), lease, create(ms...), &progress)
	if err != nil || len(conflicts) != 0 || progress.Load() != 60 {
		t.Fatalf("leased creates: %v %v progress %d", err, conflicts, progress.Load())
	}
	stored, err := s.Members(context.Background(), "t1")
	if err != nil || len(stored) != 60 || stored[59].Version != 1 || stored[59].LastRunID != "r1" || stored[59].Welcome != engine.WelcomeOwed {
		t.Fatalf("members: %v %d %+v", err, len(stored), stored)
	}
	for _, m := range ms {
		if o := owner(t, c, table, "t1", m.Email()); o != m.EmployeeID() {
			t.Errorf("%s is owned by %q, want %s", m.Email(), o, m.EmployeeID())
		}
	}
	// 3 batches of at most 25 creates, each its owners then its members;
	// the first call's unprocessed half resubmitted.
	want := []string{"owners", "owners", "members", "owners", "members", "owners", "members"}
	if !slices.Equal(b.kinds, want) {
		t.Errorf("calls %v, want %v", b.kinds, want)
	}
}

// An email owner item whose owner does not hold the address (left by a run
// that died between a batch's owners and its members, the create never
// planned again) does not block the address for ever; one whose owner
// holds it still does.
func TestStaleEmailOwnerIsFreedForAClaim(t *testing.T) {
	s, c, table := newStore(t, nil)
	ctx := context.Background()
	mustApply(t, s, "t1", create(newMember("E1", "e1@x.example"), newMember("E2", "e2@x.example")))
	put := func(email, owner string) {
		t.Helper()
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "T#t1#EMAIL#" + email}, "SK": &types.AttributeValueMemberS{Value: "EMAIL"},
			"owner": &types.AttributeValueMemberS{Value: owner},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	put("ghost@x.example", "GHOST") // no such member
	stored, err := s.Members(ctx, "t1")
	if err != nil || len(stored) != 2 {
		t.Fatalf("members: %v %d", err, len(stored))
	}
	conflicts := mustApply(t, s, "t1", []engine.Change{
		change(engine.KindUpdate, stored[0], func(m *engine.Member) { m.Values[engine.Email] = "ghost@x.example" }),
	})
	if o := owner(t, c, table, "t1", "ghost@x.example"); o != "E1" {
		t.Errorf("ghost@x.example is %q's, want E1's", o)
	}
	if got, _ := s.GetMember(ctx, "t1", "E1"); got.Email() != "ghost@x.example" {
		t.Errorf("E1's email %s", got.Email())
	}
	for _, cf := range conflicts {
		if cf.Change.EmployeeID() == "E1" {
			t.Errorf("E1's claim of a stale address was a conflict: %s", cf.Reason)
		}
	}
	// An owner that holds its address keeps it.
	stored, _ = s.Members(ctx, "t1")
	conflicts = mustApply(t, s, "t1", []engine.Change{
		change(engine.KindUpdate, stored[1], func(m *engine.Member) { m.Values[engine.Email] = "ghost@x.example" }),
	})
	if len(conflicts) != 1 || owner(t, c, table, "t1", "ghost@x.example") != "E1" {
		t.Errorf("a held address was taken: %+v", conflicts)
	}
}
