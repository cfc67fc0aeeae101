package integration

import (
	"errors"
	"fmt"
	"time"
)

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
