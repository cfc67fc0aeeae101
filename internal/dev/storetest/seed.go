package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// Crowd is n invited members named as the PeopleHR sandbox names the
// employees it generates (peoplehrtest.Generate, the same for the same
// seed): a directory to search at scale.
func Crowd(n int, seed int64) []engine.Member {
	out := make([]engine.Member, 0, n)
	for _, e := range peoplehrtest.Generate(n, seed, Start) {
		m := NewMember(e.EmployeeID, strings.ToLower(strings.TrimSpace(e.EmailID)))
		m.Values.Set(engine.FirstName, strings.TrimSpace(e.FirstName))
		m.Values.Set(engine.LastName, strings.TrimSpace(e.LastName))
		out = append(out, m)
	}
	return out
}

// Seeder is a store that writes a first import's members.
type Seeder interface {
	AcquireLease(ctx context.Context, tenant, runID string, ttl time.Duration) (integration.Lease, error)
	ApplyLeased(ctx context.Context, lease integration.Lease, changes []engine.Change, done *atomic.Int64) ([]engine.Conflict, error)
	ReleaseLease(ctx context.Context, lease integration.Lease) error
}

// Seed writes members as a first import creates them, under the tenant's
// lease through the store's own batch writes, at its concurrency: the
// same items, without PeopleHR, a plan or a run around them.
func Seed(ctx context.Context, s Seeder, tenant string, ms []engine.Member) error {
	lease, err := s.AcquireLease(ctx, tenant, "seed", time.Hour)
	if err != nil {
		return fmt.Errorf("seed %s: %w", tenant, err)
	}
	conflicts, err := s.ApplyLeased(ctx, lease, Creates(ms...), nil)
	if err == nil && len(conflicts) > 0 {
		err = fmt.Errorf("%d conflicts, the first %s", len(conflicts), conflicts[0].Reason)
	}
	if err != nil {
		return fmt.Errorf("seed %s: %w", tenant, err)
	}
	return s.ReleaseLease(ctx, lease)
}
