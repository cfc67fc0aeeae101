package bench

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/dynamo"
	"github.com/peoplesync/peoplesync/internal/engine"
)

// SearchPrefixes are what the search row looks for: surname prefixes of
// the sandbox's names (accents, apostrophes and spaces among them), given
// names, an address and an employee id.
var SearchPrefixes = []string{"smi", "o'b", "ngu", "kow", "garc", "mül", "van d", "özt", "d'so", "khan", "zoe", "aisha", "pw1234"}

// SearchPage is how many hits a measured search asks for: the console's
// page.
const SearchPage = 25

// Search is member search among N members on the local stack, beside the
// least a Query costs there and the full read of the member partition a
// search without an index would make.
type Search struct {
	N    int
	Seed Floor // the members written, with WriteItems
	// Latencies are each search's seconds: every prefix, Rounds times.
	Latencies []float64
	Rounds    int
	// OneQuery is moto's cheapest Query on the table: one item of the
	// member partition (the median of three).
	OneQuery time.Duration
	// Per search, means: hits, Query calls, bytes read and the read units
	// DynamoDB would charge for them (ReadUnits), and what moto's
	// ReturnConsumedCapacity said (MotoUnits: a constant per call).
	Hits, Queries, Bytes, ReadUnits, MotoUnits float64
	// The full read, page by page until FullBudget: what it read and how
	// long it took; FullUnits are the units of reading all SeedBytes
	// strongly consistently, as Store.Members does.
	FullRead             time.Duration
	FullPages, FullItems int
	FullDone             bool
	SeedBytes            int
	FullUnits            float64
}

// FullBudget bounds the full read: on moto, whose every Query sorts the
// table, 100k members take many minutes (more than the whole bench's 13
// when tried), so it is timed this long and its pace extrapolated.
const FullBudget = 60 * time.Second

// RunSearch seeds n members into a fresh stack's table and measures one
// Query, the searches, then the full read.
func (e *Env) RunSearch(ctx context.Context, n, rounds int) (*Search, error) {
	st, err := e.benchStack(ctx, "search", n, nil, func() time.Time { return Today })
	if err != nil {
		return nil, err
	}
	defer st.Close()
	table := st.WorkerEnv["TABLE_NAME"]
	raw := devstack.NewClients(devstack.AWSConfig(e.Moto.Endpoint())).DynamoDB
	out := &Search{N: n, Rounds: rounds}
	start := time.Now()
	seeded, bytes, err := SeedMembers(ctx, raw, table, TenantID, storetest.Crowd(n, 17))
	if err != nil {
		return nil, err
	}
	out.Seed, out.SeedBytes = Floor{Items: seeded, Seconds: time.Since(start).Seconds()}, bytes
	out.FullUnits = math.Ceil(float64(bytes) / 4096)
	e.progress("search: seeded %d members in %.1f s", seeded, out.Seed.Seconds)

	pk := "T#" + TenantID + "#M"
	one := &dynamodb.QueryInput{
		TableName: &table, KeyConditionExpression: aws.String("PK = :pk"), Limit: aws.Int32(1),
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{":pk": &dbtypes.AttributeValueMemberS{Value: pk}},
	}
	var ones []float64
	for range 3 {
		start := time.Now()
		if _, err := raw.Query(ctx, one); err != nil {
			return nil, err
		}
		ones = append(ones, time.Since(start).Seconds())
	}
	out.OneQuery = time.Duration(Percentile(ones, 50) * float64(time.Second))

	meter, err := newReadMeter(ctx, raw, table)
	if err != nil {
		return nil, err
	}
	store := dynamo.New(meter, table)
	for r := range rounds {
		for _, q := range SearchPrefixes {
			meter.reset()
			start := time.Now()
			hits, _, err := store.SearchMembers(ctx, TenantID, q, "", SearchPage)
			if err != nil {
				return nil, fmt.Errorf("search %q: %w", q, err)
			}
			out.Latencies = append(out.Latencies, time.Since(start).Seconds())
			if r == 0 {
				calls, bytes, units, moto := meter.totals()
				k := float64(len(SearchPrefixes))
				out.Hits, out.Queries, out.Bytes = out.Hits+float64(len(hits))/k, out.Queries+float64(calls)/k, out.Bytes+float64(bytes)/k
				out.ReadUnits, out.MotoUnits = out.ReadUnits+units/k, out.MotoUnits+moto/k
			}
		}
	}
	e.progress("search: %d searches, p50 %.0f ms", len(out.Latencies), Percentile(out.Latencies, 50)*1e3)

	// The full read as Store.Members pages it, strongly consistent.
	full := &dynamodb.QueryInput{
		TableName: &table, KeyConditionExpression: aws.String("PK = :pk"), ConsistentRead: aws.Bool(true),
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{":pk": &dbtypes.AttributeValueMemberS{Value: pk}},
	}
	pages := dynamodb.NewQueryPaginator(raw, full)
	start = time.Now()
	for pages.HasMorePages() && time.Since(start) < FullBudget {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("full read: %w", err)
		}
		out.FullPages, out.FullItems = out.FullPages+1, out.FullItems+len(page.Items)
	}
	out.FullRead, out.FullDone = time.Since(start), !pages.HasMorePages()
	e.progress("search: full read: %d members in %d pages, %.1f s", out.FullItems, out.FullPages, out.FullRead.Seconds())
	return out, nil
}

// FullSeconds is the full read's time: measured if it finished within
// FullBudget, else its pace extrapolated to every member.
func (s *Search) FullSeconds() float64 {
	if s.FullDone || s.FullItems == 0 {
		return s.FullRead.Seconds()
	}
	return s.FullRead.Seconds() * float64(s.N) / float64(s.FullItems)
}

// rows are the search's rows of the report: latency beside moto's least
// Query and the full read, read units beside the full read's.
func (s *Search) rows() []row {
	n := shortN(s.N)
	p50, p95 := Percentile(s.Latencies, 50), Percentile(s.Latencies, 95)
	full := fmt.Sprintf("%d of %d members in %s, %d pages", s.FullItems, s.N, secs(s.FullRead.Seconds()), s.FullPages)
	if !s.FullDone {
		full = fmt.Sprintf("~%s: its pace over %s", secs(s.FullSeconds()), full)
	}
	return []row{{
		fmt.Sprintf("member search %s: latency, local stack (moto)", n),
		fmt.Sprintf("p50 %.0f ms, p95 %.0f ms (%d searches: %d prefixes x %d, a page of %d, %.1f hits, %.1f Query calls)",
			p50*1e3, p95*1e3, len(s.Latencies), len(SearchPrefixes), s.Rounds, SearchPage, s.Hits, s.Queries),
		fmt.Sprintf("%.0f ms: moto's cheapest Query on this table (1 item); seeded in %s", s.OneQuery.Seconds()*1e3, secs(s.Seed.Seconds)),
		fmt.Sprintf("%.1fx", p50/s.OneQuery.Seconds()), "(context)", "",
	}, {
		fmt.Sprintf("member search %s: latency beside the full read", n),
		fmt.Sprintf("p50 %.0f ms", p50*1e3), "full read of the member partition: " + full,
		fmt.Sprintf("%.3fx", p50/s.FullSeconds()), "(context)", "",
	}, {
		fmt.Sprintf("member search %s: read units per search", n),
		fmt.Sprintf("%.2f RCU (%.1f KB in %.1f queries; moto reports %.1f)", s.ReadUnits, s.Bytes/1024, s.Queries, s.MotoUnits),
		fmt.Sprintf("%.0f RCU: the full read, %.1f MB strongly consistent", s.FullUnits, float64(s.SeedBytes)/1e6),
		fmt.Sprintf("%.5fx", s.ReadUnits/s.FullUnits), "<= 0.001x", verdict(s.ReadUnits/s.FullUnits <= 0.001),
	}}
}

// SeedMembers writes members as a first import's batches build them
// (storetest.Seed through the store), but sends only the member items,
// with WriteItems at the store's concurrency: the email owners double the
// items, which moto writes at under a thousand a second, and a search
// reads none. It reports the items written and their bytes.
func SeedMembers(ctx context.Context, raw *dynamodb.Client, table, tenant string, ms []engine.Member) (int, int, error) {
	db := &DB{API: &sinkDB{API: raw}}
	var items []map[string]dbtypes.AttributeValue
	db.Keep(func(item map[string]dbtypes.AttributeValue) {
		if itemKind(item) == KindMember {
			items = append(items, item)
		}
	})
	if err := storetest.Seed(ctx, dynamo.New(db, table), tenant, ms); err != nil {
		return 0, 0, err
	}
	db.Keep(nil)
	bytes := 0
	for _, item := range items {
		bytes += itemSize(item, nil)
	}
	return len(items), bytes, WriteItems(ctx, raw, table, items, dynamo.DefaultConcurrency)
}

// readMeter counts what a store's queries read: calls, the bytes of the
// items returned (index entries as their index projects them), the read
// units DynamoDB would charge for them and the units moto reports.
type readMeter struct {
	dynamo.API
	projected map[string]map[string]bool // index -> attributes it holds (nil: all)
	mu        sync.Mutex
	calls     int
	bytes     int
	units     float64
	moto      float64
}

func newReadMeter(ctx context.Context, raw *dynamodb.Client, table string) (*readMeter, error) {
	d, err := raw.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil {
		return nil, err
	}
	m := &readMeter{API: raw, projected: map[string]map[string]bool{}}
	keys := map[string]bool{}
	for _, k := range d.Table.KeySchema {
		keys[*k.AttributeName] = true
	}
	for _, g := range d.Table.GlobalSecondaryIndexes {
		if g.Projection.ProjectionType == dbtypes.ProjectionTypeAll {
			continue
		}
		attrs := map[string]bool{}
		for _, k := range g.KeySchema {
			attrs[*k.AttributeName] = true
		}
		for k := range keys {
			attrs[k] = true
		}
		for _, a := range g.Projection.NonKeyAttributes {
			attrs[a] = true
		}
		m.projected[*g.IndexName] = attrs
	}
	return m, nil
}

func (m *readMeter) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ReturnConsumedCapacity = dbtypes.ReturnConsumedCapacityTotal
	out, err := m.API.Query(ctx, in, o...)
	if err != nil {
		return out, err
	}
	var attrs map[string]bool
	if in.IndexName != nil {
		attrs = m.projected[*in.IndexName]
	}
	size := 0
	for _, item := range out.Items {
		size += itemSize(item, attrs)
	}
	// DynamoDB's rule: a Query's items summed and rounded up to 4 KB, one
	// unit each strongly consistent, half eventually (every GSI read).
	units := math.Ceil(float64(max(size, 1)) / 4096)
	if in.ConsistentRead == nil || !*in.ConsistentRead {
		units /= 2
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls, m.bytes, m.units = m.calls+1, m.bytes+size, m.units+units
	if out.ConsumedCapacity != nil && out.ConsumedCapacity.CapacityUnits != nil {
		m.moto += *out.ConsumedCapacity.CapacityUnits
	}
	return out, nil
}

func (m *readMeter) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls, m.bytes, m.units, m.moto = 0, 0, 0, 0
}

func (m *readMeter) totals() (calls, bytes int, units, moto float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls, m.bytes, m.units, m.moto
}

// itemSize is an item's size as DynamoDB counts it: each attribute's name
// and value, of those attrs holds (nil: all). Numbers count about a byte
// per two digits plus one.
func itemSize(item map[string]dbtypes.AttributeValue, attrs map[string]bool) int {
	n := 0
	for name, v := range item {
		if attrs != nil && !attrs[name] {
			continue
		}
		n += len(name)
		switch v := v.(type) {
		case *dbtypes.AttributeValueMemberS:
			n += len(v.Value)
		case *dbtypes.AttributeValueMemberN:
			n += (len(v.Value)+1)/2 + 1
		case *dbtypes.AttributeValueMemberB:
			n += len(v.Value)
		default:
			n++
		}
	}
	return n
}

// Percentile is the p-th percentile of xs (nearest rank).
func Percentile[T cmp.Ordered](xs []T, p float64) T {
	if len(xs) == 0 {
		var zero T
		return zero
	}
	s := slices.Sorted(slices.Values(xs))
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
