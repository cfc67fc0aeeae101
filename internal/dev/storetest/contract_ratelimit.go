package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/ratelimit"
)

func testRateLimits(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	read := ratelimit.Limit{Name: "read", Rate: 5, Burst: 3}
	take := func(tenant string, l ratelimit.Limit, want time.Duration) {
		t.Helper()
		if wait, err := s.TakeToken(ctx, tenant, l); err != nil || wait != want {
			t.Fatalf("%s %s at %v: wait %v, %v; want %v", tenant, l.Name, clk.Now().Sub(Start), wait, err, want)
		}
	}
	for range 3 {
		take("t1", read, 0)
	}
	take("t1", read, 200*time.Millisecond)
	take("t1", read, 200*time.Millisecond) // a refused take spends nothing
	take("t2", read, 0)                    // another tenant's bucket
	take("t1", ratelimit.Limit{Name: "write", Rate: 1, Burst: 1}, 0)
	clk.Add(100 * time.Millisecond)
	take("t1", read, 100*time.Millisecond)
	clk.Add(100 * time.Millisecond)
	take("t1", read, 0)
	take("t1", read, 200*time.Millisecond)
}

func testConcurrentTakers(t *testing.T, s Store, _ *Clock) {
	l := ratelimit.Limit{Name: "read", Rate: 1, Burst: 5}
	var wg sync.WaitGroup
	var taken atomic.Int64
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wait, err := s.TakeToken(context.Background(), "t1", l)
			if err != nil {
				t.Error(err)
			}
			if wait == 0 {
				taken.Add(1)
			}
		}()
	}
	wg.Wait()
	// The clock stands still: five tokens, however the takers interleave.
	// Takers that keep losing the race may be told to wait, so fewer is
	// allowed; more is a token spent twice.
	if n := taken.Load(); n < 1 || n > 5 {
		t.Errorf("20 takers at once took %d tokens of 5", n)
	}
}
