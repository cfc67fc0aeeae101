package bench

import (
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// The engine's benchmarks read the same 100k body (BENCH_EMPLOYEES changes
// the size). Compare them with benchstat:
//
//	go test -run '^$' -bench Decode -count 6 ./internal/bench | tee new.txt
//	benchstat old.txt new.txt
//
// Decode/engine is decode + map + plan against the members the first import
// stored (the steady state of every later run); Decode/plain is the floor,
// the same bytes through an idiomatic streaming decode; Decode/tokens only
// tokenizes them.
var (
	fixtureOnce sync.Once
	fixture     struct {
		body    []byte
		members []engine.Member
		err     error
	}
)

func load(b *testing.B) ([]byte, []engine.Member) {
	b.Helper()
	fixtureOnce.Do(func() {
		n := 100_000
		if v, err := strconv.Atoi(os.Getenv("BENCH_EMPLOYEES")); err == nil && v > 0 {
			n = v
		}
		fixture.body, fixture.err = Body(Employees(n))
		if fixture.err == nil {
			fixture.members, fixture.err = Imported(fixture.body)
		}
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.body, fixture.members
}

func BenchmarkDecode(b *testing.B) {
	body, members := load(b)
	b.Run("engine", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Engine(body, members); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := PlainDecode(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tokens", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := TokenWalk(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestPlainDecodeReadsEveryRecord keeps the floor honest: it reads the
// records the engine reads.
func TestPlainDecodeReadsEveryRecord(t *testing.T) {
	body, err := Body(Employees(200))
	if err != nil {
		t.Fatal(err)
	}
	n, err := PlainDecode(body)
	if err != nil || n != 200 {
		t.Fatalf("plain decode: %d records, %v", n, err)
	}
	plan, err := Engine(body, nil)
	if err != nil || plan.Counts.Total != 200 {
		t.Fatalf("engine: %+v %v", plan.Counts, err)
	}
}
