package engine

import (
	"context"
	"time"
)

// Feed streams a tenant's PeopleHR employees: start is called at the
// beginning of every attempt and returns the func that receives that
// attempt's records, so a retried fetch starts its consumer afresh (the
// PeopleHR client's FetchAll).
type Feed interface {
	FetchAll(ctx context.Context, apiKey string, start func() func(rec map[string]string) error) (int, error)
}

// Fetch is the one way a plan's records are gathered, for a run and for
// the setup's dry run alike: the mapping and settings are checked first
// (an error matching ErrInvalidMapping or ErrInvalidSettings, before
// PeopleHR is called), then the feed is streamed into a planner, afresh on
// each attempt, with "today" fixed at now. progress, if not nil, hears the
// number of records read so far. The feed's own error is returned as it
// is, for the caller to put in its words; the planner is then nil.
func Fetch(ctx context.Context, feed Feed, apiKey string, m Mapping, s Settings, now time.Time, progress func(rows int)) (*Planner, error) {
	planner, err := NewPlanner(m, s, now)
	if err != nil {
		return nil, err
	}
	_, err = feed.FetchAll(ctx, apiKey, func() func(map[string]string) error {
		planner, _ = NewPlanner(m, s, now) // checked above: the same inputs cannot fail
		return func(rec map[string]string) error {
			planner.Add(rec)
			if progress != nil {
				progress(planner.Rows())
			}
			return nil
		}
	})
	if err != nil {
		return nil, err
	}
	return planner, nil
}
