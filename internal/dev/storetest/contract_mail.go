package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// testSummaryCopies: each recipient's copy of a summary is claimed once;
// one owed again (a send that certainly failed) is claimed again; another
// recipient, run or tenant is a copy of its own.
func testSummaryCopies(t *testing.T, s Store, _ *Clock) {
	ctx := context.Background()
	claim := func(tenant, run, to string) error { return s.ClaimSummaryCopy(ctx, tenant, run, to) }
	if err := claim("t1", "r1", "a@x.example"); err != nil {
		t.Fatal(err)
	}
	if err := claim("t1", "r1", "a@x.example"); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("second claim of a copy being sent: %v", err)
	}
	for _, other := range [][3]string{{"t1", "r1", "b@x.example"}, {"t1", "r2", "a@x.example"}, {"t2", "r1", "a@x.example"}} {
		if err := claim(other[0], other[1], other[2]); err != nil {
			t.Errorf("claim %v: %v", other, err)
		}
	}
	if err := s.FinishSummaryCopy(ctx, "t1", "r1", "a@x.example", integration.MailOwed); err != nil {
		t.Fatal(err)
	}
	if err := claim("t1", "r1", "a@x.example"); err != nil {
		t.Errorf("claim of a copy owed again: %v", err)
	}
	// b@ is still sending from above.
	for to, state := range map[string]integration.MailState{"a@x.example": integration.MailSent, "b@x.example": integration.MailFailed} {
		if err := s.FinishSummaryCopy(ctx, "t1", "r1", to, state); err != nil {
			t.Fatal(err)
		}
		if err := claim("t1", "r1", to); !errors.Is(err, integration.ErrConflict) {
			t.Errorf("claim of a copy %s: %v", state, err)
		}
	}
	if err := s.FinishSummaryCopy(ctx, "t1", "r9", "a@x.example", integration.MailSent); !errors.Is(err, integration.ErrConflict) {
		t.Errorf("finish of a copy never claimed: %v", err)
	}
}

// testMailQuotas: a tenant's counter of a kind of email on a day passes its
// limit for no one; another kind, day or tenant counts apart.
func testMailQuotas(t *testing.T, s Store, _ *Clock) {
	ctx := context.Background()
	const limit = 5
	for i := range limit + 2 {
		ok, err := s.TakeMailQuota(ctx, "t1", "welcome", "2026-03-10", limit)
		if err != nil || ok != (i < limit) {
			t.Fatalf("take %d of a quota of %d: %v %v", i+1, limit, ok, err)
		}
	}
	for _, other := range [][3]string{{"t1", "summary", "2026-03-10"}, {"t1", "welcome", "2026-03-11"}, {"t2", "welcome", "2026-03-10"}} {
		if ok, err := s.TakeMailQuota(ctx, other[0], other[1], other[2], limit); !ok || err != nil {
			t.Errorf("quota %v: %v %v", other, ok, err)
		}
	}
}

// testConcurrentQuotaTakers: eight mailers at once take no more than the
// quota between them.
func testConcurrentQuotaTakers(t *testing.T, s Store, _ *Clock) {
	ctx := context.Background()
	const limit = 5
	var wg sync.WaitGroup
	var taken atomic.Int64
	for range 8 {
		wg.Go(func() {
			ok, err := s.TakeMailQuota(ctx, "t1", "welcome", "2026-03-10", limit)
			if err != nil {
				t.Error(err)
			}
			if ok {
				taken.Add(1)
			}
		})
	}
	wg.Wait()
	if taken.Load() != limit {
		t.Errorf("%d taken of a quota of %d", taken.Load(), limit)
	}
}
