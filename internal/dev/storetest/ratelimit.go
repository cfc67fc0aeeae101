package storetest

import (
	"context"
	"time"

	"github.com/peoplesync/peoplesync/internal/ratelimit"
)

// TakeToken takes a token from the tenant's bucket for l: 0 when there was
// one, else how long until there is. The lock makes read and write one
// step, as the table's conditional write does.
func (m *Memory) TakeToken(_ context.Context, tenant string, l ratelimit.Limit) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := id{tenant, l.Name}
	b, found := m.buckets[k]
	next, wait := l.Take(b, found, m.now())
	if wait == 0 {
		m.buckets[k] = next
	}
	return wait, nil
}
