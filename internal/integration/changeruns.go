package integration

import (
	"context"
	"fmt"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// ChangeRuns are what PeopleHR's change runs applied since the tenant's
// last full import: how many ran, and their counts added up.
type ChangeRuns struct {
	Runs   int
	Counts engine.Counts
}

// RunLister pages a tenant's runs, newest first (a store's ListRuns).
type RunLister func(ctx context.Context, tenant, cursor string, limit int) ([]*Run, string, error)

// ChangeRunsBefore adds up the change runs that succeeded before the run
// runID (queued earlier), back to the last full import that succeeded,
// which saw, and told of, every change before it; and no further back
// than since, when it is not zero.
func ChangeRunsBefore(ctx context.Context, list RunLister, tenant, runID string, since time.Time) (ChangeRuns, error) {
	var out ChangeRuns
	cursor := ""
	for {
		runs, next, err := list(ctx, tenant, cursor, 50)
		if err != nil {
			return ChangeRuns{}, fmt.Errorf("read the change runs before %s: %w", runID, err)
		}
		for _, prev := range runs {
			done := prev.Status == StatusSucceeded || prev.Status == StatusSucceededWithErrors
			switch {
			case prev.RunID >= runID || !done:
			case prev.FinishedAt.Before(since):
				return out, nil
			case prev.Trigger != TriggerPeopleHRChange:
				return out, nil
			default:
				out.Runs++
				c := &out.Counts
				c.Created, c.Updated, c.Closed, c.Reactivated = c.Created+prev.Counts.Created, c.Updated+prev.Counts.Updated,
					c.Closed+prev.Counts.Closed, c.Reactivated+prev.Counts.Reactivated
				c.Errors, c.Warnings = c.Errors+prev.Counts.Errors, c.Warnings+prev.Counts.Warnings
			}
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}
