package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// failingRenewals is a store whose lease renewals fail without saying the
// lease is lost (DynamoDB unreachable from the heartbeat).
type failingRenewals struct {
	*storetest.Memory
	renewals atomic.Int64
}

func (f *failingRenewals) RenewLease(_ context.Context, lease integration.Lease, _ time.Duration) (integration.Lease, error) {
	f.renewals.Add(1)
	return lease, errors.New("renew: connection reset")
}

// A run whose lease cannot be renewed for half its TTL is stopped, well
// before another worker could take the tenant: its creates trust the lease.
func TestHeartbeatStopsARunThatCannotProveItsLease(t *testing.T) {
	store := &failingRenewals{Memory: storetest.NewMemory(time.Now)}
	w := &Worker{store: store, leaseTTL: 600 * time.Millisecond, now: time.Now}
	ctx, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	start := time.Now()
	go w.heartbeat(ctx, stop, integration.NewLease("acme", "r1", time.Now().Add(w.leaseTTL)), slog.New(slog.DiscardHandler))
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the run was not stopped")
	}
	took := time.Since(start)
	if !errors.Is(context.Cause(ctx), integration.ErrLeaseLost) {
		t.Errorf("cause %v, want lease lost", context.Cause(ctx))
	}
	// Renewals every TTL/3: the first failure is tolerated, the second
	// (past TTL/2) stops the run, a third of the TTL before it expires.
	if n := store.renewals.Load(); n != 2 || took < 300*time.Millisecond || took >= 600*time.Millisecond {
		t.Errorf("stopped after %d renewals and %v, want 2 and between TTL/2 and TTL", n, took)
	}
}
