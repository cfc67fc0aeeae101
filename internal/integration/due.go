package integration

import (
	"hash/fnv"
	"time"
)

// DueBuckets is how many shards the due integrations are read in: one
// index partition would take every tenant's schedule writes, and a
// scheduler reads the shards in parallel.
const DueBuckets = 16

// DueBucket is the shard (0..DueBuckets-1) of a tenant's due slots, the
// same in every store.
func DueBucket(tenant string) int {
	h := fnv.New32a()
	h.Write([]byte(tenant))
	return int(h.Sum32() % DueBuckets)
}

// Due is a scheduled integration whose slot has come, as the scheduler
// reads it: enough to queue the slot and compute the next one.
type Due struct {
	TenantID  string
	NextRunAt time.Time
	Settings  Settings
}
