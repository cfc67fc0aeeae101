package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
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

// clock is the fixed time of the tests that are not the contract's.
func clock() time.Time { return storetest.Start }

// tables numbers the tables of the run, each provisioned anew.
var tables atomic.Int64

// newStore provisions a fresh table for the test and returns a store on
// it, reading the clock now and built with opts, its raw client and the
// table name.
func newStore(t *testing.T, wrap func(dynamo.API) dynamo.API, now func() time.Time, opts ...dynamo.Option) (*dynamo.Store, *dynamodb.Client, string) {
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
	opts = append([]dynamo.Option{dynamo.WithClock(now), dynamo.WithRetry(4, time.Millisecond)}, opts...)
	return dynamo.New(api, table, opts...), client, table
}

// The store keeps the contract every store keeps, on moto.
func TestStoreKeepsTheContract(t *testing.T) {
	storetest.RunContract(t, func(t *testing.T, now func() time.Time) storetest.Store {
		s, _, _ := newStore(t, nil, now)
		return s
	})
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

// owner reads the owner item of an address, as the contract cannot.
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
	s, _, _ := newStore(t, func(api dynamo.API) dynamo.API { u.API = api; return u }, clock)
	var changes []engine.Change
	for i := range 40 {
		changes = append(changes, engine.Change{Kind: engine.KindCreate, Row: i + 1, After: storetest.NewMember(fmt.Sprintf("E%02d", i), "x@y.example")})
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
	// One writer, so the calls come in the batches' order.
	s, c, table := newStore(t, func(api dynamo.API) dynamo.API { b.API = api; return b }, clock, dynamo.WithConcurrency(1))
	var ms []engine.Member
	for i := range 60 {
		ms = append(ms, storetest.NewMember(fmt.Sprintf("E%03d", i), fmt.Sprintf("e%03d@x.example", i)))
	}
	lease, err := s.AcquireLease(context.Background(), "t1", "r1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var progress atomic.Int64
	conflicts, err := s.ApplyLeased(context.Background(), lease, storetest.Creates(ms...), &progress)
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
	s, c, table := newStore(t, nil, clock)
	ctx := context.Background()
	mustApply(t, s, "t1", storetest.Creates(storetest.NewMember("E1", "e1@x.example"), storetest.NewMember("E2", "e2@x.example")))
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
		storetest.Change(engine.KindUpdate, stored[0], func(m *engine.Member) { m.Values.Set(engine.Email, "ghost@x.example") }),
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
		storetest.Change(engine.KindUpdate, stored[1], func(m *engine.Member) { m.Values.Set(engine.Email, "ghost@x.example") }),
	})
	if len(conflicts) != 1 || owner(t, c, table, "t1", "ghost@x.example") != "E1" {
		t.Errorf("a held address was taken: %+v", conflicts)
	}
}

// A member written before the change index (format 1, or unversioned) is
// in the listing that starts a mirror, and its next write, an import's
// update or a redemption, leaves a whole format 3 item, in the change
// index at the write's time and in the search indexes.
func TestOldMemberWriteJoinsTheChangeIndex(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fmt   types.AttributeValue // nil: unversioned
		write func(t *testing.T, s *dynamo.Store, old engine.Member)
	}{
		{"update of format 1", &types.AttributeValueMemberN{Value: "1"}, func(t *testing.T, s *dynamo.Store, old engine.Member) {
			mustApply(t, s, "t1", []engine.Change{
				storetest.Change(engine.KindUpdate, old, func(m *engine.Member) { m.Values.Set(engine.JobTitle, "Lead") }),
			})
		}},
		{"redemption of unversioned", nil, func(t *testing.T, s *dynamo.Store, _ engine.Member) {
			ctx := context.Background()
			if _, err := s.ClaimWelcome(ctx, "t1", "E1", "hash-E1", storetest.Start.Add(72*time.Hour)); err != nil {
				t.Fatalf("claim welcome: %v", err)
			}
			if _, err := s.RedeemInvite(ctx, "t1", "hash-E1"); err != nil {
				t.Fatalf("redeem: %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := storetest.NewClock(storetest.Start)
			s, c, table := newStore(t, nil, clk.Now)
			ctx := context.Background()
			putOldMember(t, c, table, "E1", tc.fmt, nil)
			if found := search(t, s, "e1@"); len(found) != 0 {
				t.Fatalf("an item without search keys was found: %v", found)
			}
			listed, cursor, err := s.ChangedMembers(ctx, "t1", "", 10)
			if err != nil || len(listed) != 1 || listed[0].EmployeeID() != "E1" {
				t.Fatalf("listing from the start: %v %v", err, listed)
			}

			clk.Add(time.Hour)
			tc.write(t, s, listed[0])
			out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{"PK": s1("T#t1#M"), "SK": s1("E#E1")}})
			if err != nil {
				t.Fatal(err)
			}
			wantAttrs(t, out.Item, map[string]string{
				"fmt": "3", "GSI2PK": "T#t1#CHG", "GSI2SK": "2026-03-10T10:00:00.000000000Z#E1",
				"searchPK": "T#t1#S", "searchEmail": "e1@x.example#E1",
			})
			if found := search(t, s, "e1@"); !slices.Equal(found, []string{"E1"}) {
				t.Errorf("the written member is not found: %v", found)
			}

			clk.Add(2 * time.Minute)
			changed, _, err := s.ChangedMembers(ctx, "t1", cursor, 10)
			if err != nil || len(changed) != 1 || changed[0].Version != 2 {
				t.Errorf("changed since the listing: %v %+v", err, changed)
			}
		})
	}
}

func s1(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// putOldMember writes a member as a build before search stored it: in
// format (nil: unversioned), with extra attributes.
func putOldMember(t *testing.T, c *dynamodb.Client, table, id string, format types.AttributeValue, extra map[string]types.AttributeValue) {
	t.Helper()
	item := map[string]types.AttributeValue{
		"PK": s1("T#t1#M"), "SK": s1("E#" + id), "employeeId": s1(id), "email": s1(strings.ToLower(id) + "@x.example"),
		"status": s1("invited"), "welcome": s1("owed"), "version": &types.AttributeValueMemberN{Value: "1"},
		"lastRunId": s1("run-old"), "lastChange": s1("create"),
		"createdAt": s1("2026-01-05T02:00:00Z"), "updatedAt": s1("2026-01-05T02:00:00Z"),
	}
	if format != nil {
		item["fmt"] = format
	}
	maps.Copy(item, extra)
	if _, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
		t.Fatal(err)
	}
}

// wantAttrs checks an item's string and number attributes.
func wantAttrs(t *testing.T, item map[string]types.AttributeValue, want map[string]string) {
	t.Helper()
	for name, v := range want {
		got := ""
		switch a := item[name].(type) {
		case *types.AttributeValueMemberS:
			got = a.Value
		case *types.AttributeValueMemberN:
			got = a.Value
		}
		if got != v {
			t.Errorf("%s is %q, want %q", name, got, v)
		}
	}
}

// search is every employee id tenant t1's search for q finds.
func search(t *testing.T, s *dynamo.Store, q string) []string {
	t.Helper()
	var out []string
	for cursor := ""; ; {
		page, next, err := s.SearchMembers(context.Background(), "t1", q, cursor, 10)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		for _, m := range page {
			out = append(out, m.EmployeeID())
		}
		if cursor = next; cursor == "" {
			return out
		}
	}
}

// Members stored before format 3 are found once IndexMembers has given
// them their search keys; a format 2 item keeps its place in the change
// index, a format 1 item gets one; a second run has nothing to do.
func TestIndexMembersBackfillsOldItems(t *testing.T) {
	s, c, table := newStore(t, nil, clock)
	ctx := context.Background()
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	named := func(first, last string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"firstName": s1(first), "lastName": s1(last)}
	}
	v2 := named("Zoë", "Smith")
	v2["GSI2PK"], v2["GSI2SK"] = s1("T#t1#CHG"), s1("2026-01-05T02:00:00.000000000Z#V2")
	putOldMember(t, c, table, "V2", n("2"), v2)
	putOldMember(t, c, table, "V1", n("1"), named("Seán", "O'Brien"))
	putOldMember(t, c, table, "V0", nil, named("Ann", "Smithers"))
	mustApply(t, s, "t1", storetest.Creates(storetest.Person("NEW", "Zoe", "Smyth", "new@x.example")))
	if found := search(t, s, "sm"); !slices.Equal(found, []string{"NEW"}) {
		t.Fatalf("before the backfill: %v", found)
	}

	indexed, err := s.IndexMembers(ctx, "t1")
	if err != nil || indexed != 3 {
		t.Fatalf("index members: %d, %v", indexed, err)
	}
	if found := search(t, s, "sm"); !slices.Equal(found, []string{"V0", "V2", "NEW"}) {
		t.Errorf("after the backfill, sm: %v", found)
	}
	if found := search(t, s, "o'b"); !slices.Equal(found, []string{"V1"}) {
		t.Errorf("after the backfill, o'b: %v", found)
	}
	for id, place := range map[string]string{"V2": "2026-01-05T02:00:00.000000000Z#V2", "V1": "2026-03-10T09:00:00.000000000Z#V1"} {
		out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{"PK": s1("T#t1#M"), "SK": s1("E#" + id)}})
		if err != nil {
			t.Fatal(err)
		}
		wantAttrs(t, out.Item, map[string]string{"fmt": "3", "version": "1", "GSI2SK": place})
	}
	if again, err := s.IndexMembers(ctx, "t1"); err != nil || again != 0 {
		t.Errorf("a second backfill: %d, %v", again, err)
	}
}

// lostAnswers sends each conditional write twice while on, answering with
// the second: the first landed and its answer was lost, and the second is
// the SDK's retry of it.
type lostAnswers struct {
	dynamo.API
	on atomic.Bool
}

func (l *lostAnswers) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if l.on.Load() && in.ConditionExpression != nil {
		if _, err := l.API.PutItem(ctx, in, o...); err != nil {
			return nil, err
		}
	}
	return l.API.PutItem(ctx, in, o...)
}

func (l *lostAnswers) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if l.on.Load() && in.ConditionExpression != nil {
		if _, err := l.API.UpdateItem(ctx, in, o...); err != nil {
			return nil, err
		}
	}
	return l.API.UpdateItem(ctx, in, o...)
}

// A conditional write retried after it landed is not a conflict when the
// item shows it was this very write: the integration saved, the welcome
// claimed with this call's token (or its email would never be sent). A
// real conflict still is one.
func TestARetriedWriteThatLandedStands(t *testing.T) {
	l := &lostAnswers{}
	s, _, _ := newStore(t, func(api dynamo.API) dynamo.API { l.API = api; return l }, clock)
	ctx := context.Background()
	if _, err := s.Apply(ctx, "t1", "r1", storetest.Creates(storetest.NewMember("E1", "e1@t1.example")), nil); err != nil {
		t.Fatal(err)
	}
	l.on.Store(true)
	in := &integration.Integration{TenantID: "t1", ProgrammeName: "Perks", AdminEmail: "admin@t1.example",
		Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping()}
	if err := s.PutIntegration(ctx, in); err != nil || in.Version != 1 {
		t.Fatalf("a put whose answer was lost: %v (version %d)", err, in.Version)
	}
	m, err := s.ClaimWelcome(ctx, "t1", "E1", "hash-1", clock().Add(time.Hour))
	if err != nil || m.Welcome != engine.WelcomeSending {
		t.Fatalf("a claim whose answer was lost: %v, welcome %q", err, m.Welcome)
	}
	l.on.Store(false)
	if _, err := s.ClaimWelcome(ctx, "t1", "E1", "hash-2", clock().Add(time.Hour)); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("another claim of the same welcome: %v, want a conflict", err)
	}
	stale := *in
	stale.Version, stale.ProgrammeName = 0, "Other"
	if err := s.PutIntegration(ctx, &stale); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("a stale put: %v, want a conflict", err)
	}
}
