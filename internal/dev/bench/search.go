package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

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
// full read of the member partition a search without an index would make.
type Search struct {
	N    int
	Seed Floor // the members written, with WriteItems
	// Latencies are each search's seconds: every prefix, Rounds times.
	Latencies []float64
	Rounds    int
	// Per search, means: hits, Query calls, bytes read and the read units
	// DynamoDB would charge for them (ReadUnits), and what moto's
	// ReturnConsumedCapacity said (MotoUnits: a constant per call).
	Hits, Queries, Bytes, ReadUnits, MotoUnits float64
	// Full is one read of every member (Store.Members): its time, pages,
	// bytes and read units.
	Full                   time.Duration
	FullPages              int
	FullBytes, FullUnits   float64
	FullMotoUnits, FullHit float64
}

// RunSearch seeds n members into a fresh stack's table and measures the
// searches, then the full read.
func (e *Env) RunSearch(ctx context.Context, n, rounds int) (*Search, error) {
	st, err := e.benchStack(ctx, n, nil, func() time.Time { return Today })
	if err != nil {
		return nil, err
	}
	defer st.Close()
	table := st.WorkerEnv["TABLE_NAME"]
	raw := devstack.NewClients(devstack.AWSConfig(e.Moto.Endpoint())).DynamoDB
	out := &Search{N: n, Rounds: rounds}
	start := time.Now()
	seeded, err := SeedMembers(ctx, raw, table, TenantID, storetest.Crowd(n, 17))
	if err != nil {
		return nil, err
	}
	out.Seed = Floor{Items: seeded, Seconds: time.Since(start).Seconds()}
	e.progress("search: seeded %d members in %.1f s", seeded, out.Seed.Seconds)

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

	meter.reset()
	start = time.Now()
	all, err := store.Members(ctx, TenantID)
	if err != nil {
		return nil, err
	}
	out.Full = time.Since(start)
	calls, bytes, units, moto := meter.totals()
	out.FullPages, out.FullBytes, out.FullUnits, out.FullMotoUnits, out.FullHit = calls, float64(bytes), units, moto, float64(len(all))
	e.progress("search: full read of %d members in %.1f s", len(all), out.Full.Seconds())
	return out, nil
}

// rows are the search's rows of the report: latency beside the full read,
// read units beside the full read's.
func (s *Search) rows() []row {
	n := shortN(s.N)
	p50, p95 := Percentile(s.Latencies, 50), Percentile(s.Latencies, 95)
	return []row{{
		fmt.Sprintf("member search %s: latency, local stack", n),
		fmt.Sprintf("p50 %.0f ms, p95 %.0f ms (%d searches: %d prefixes x %d, a page of %d, %.1f hits)",
			p50*1e3, p95*1e3, len(s.Latencies), len(SearchPrefixes), s.Rounds, SearchPage, s.Hits),
		fmt.Sprintf("%s: every member read (%d pages, %.0f members; seeded in %s)", secs(s.Full.Seconds()), s.FullPages, s.FullHit, secs(s.Seed.Seconds)),
		fmt.Sprintf("%.3fx", p50/s.Full.Seconds()), "p95 < 1 s", verdict(p95 < 1),
	}, {
		fmt.Sprintf("member search %s: read units per search", n),
		fmt.Sprintf("%.1f RCU (%.1f queries, %.1f KB; moto reports %.1f)", s.ReadUnits, s.Queries, s.Bytes/1024, s.MotoUnits),
		fmt.Sprintf("%.0f RCU: the full read, %.1f MB (moto reports %.0f)", s.FullUnits, s.FullBytes/1e6, s.FullMotoUnits),
		fmt.Sprintf("%.5fx", s.ReadUnits/s.FullUnits), "(context)", "",
	}}
}

// SeedMembers writes members as a first import's batches build them
// (storetest.Seed through the store), but sends only the member items,
// with WriteItems at the store's concurrency: the email owners and the
// lease's conditional writes are what make a seeded import slow on moto,
// and a search reads neither. It reports the items written.
func SeedMembers(ctx context.Context, raw *dynamodb.Client, table, tenant string, ms []engine.Member) (int, error) {
	db := &DB{API: &sinkDB{API: raw}}
	var items []map[string]dbtypes.AttributeValue
	db.Keep(func(item map[string]dbtypes.AttributeValue) {
		if itemKind(item) == KindMember {
			items = append(items, item)
		}
	})
	if err := storetest.Seed(ctx, dynamo.New(db, table), tenant, ms); err != nil {
		return 0, err
	}
	db.Keep(nil)
	return len(items), WriteItems(ctx, raw, table, items, dynamo.DefaultConcurrency)
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
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
