package integration

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Lease is a run's hold on its tenant, as acquiring it returned it: while
// it is held nothing else writes the tenant's members, so the holder may
// write new members without conditions (a store's ApplyLeased takes one).
// Renewing and releasing take it too, so only its holder can.
type Lease struct {
	TenantID string
	RunID    string
	// Holder is new at every acquisition: two deliveries of one run's job
	// are two holders, and only one gets the lease.
	Holder    string
	ExpiresAt time.Time
}

// NewLease is the lease a store tries to take for runID until expires,
// with a holder of its own.
func NewLease(tenant, runID string, expires time.Time) Lease {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return Lease{TenantID: tenant, RunID: runID, Holder: hex.EncodeToString(b[:]), ExpiresAt: expires}
}

// LeaseHeldError says another holder has the tenant's lease: the run it
// names is either this job's own, live elsewhere (a duplicate delivery), or
// another run the job must wait for.
type LeaseHeldError struct {
	RunID     string
	ExpiresAt time.Time
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("tenant busy with run %s until %s", e.RunID, e.ExpiresAt.UTC().Format(time.RFC3339))
}

// ErrLeaseLost means the lease is no longer the caller's (it expired and
// another holder took it, or was released): the run must stop writing.
var ErrLeaseLost = errors.New("lease lost")
