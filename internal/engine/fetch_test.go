package engine

import (
	"context"
	"errors"
	"testing"
)

// attempt is one try of a scripted feed: its records, then err ends it
// (nil: the fetch succeeded).
type attempt struct {
	recs []Record
	err  error
}

type scriptedFeed struct {
	attempts []attempt
	calls    int
}

func (f *scriptedFeed) FetchAll(_ context.Context, _ string, start func() func(map[string]string) error) (int, error) {
	f.calls++
	var err error
	n := 0
	for _, a := range f.attempts {
		deliver := start()
		for _, r := range a.recs {
			if err := deliver(r); err != nil {
				return 0, err
			}
		}
		n, err = len(a.recs), a.err
		if err == nil {
			return n, nil
		}
	}
	return 0, err
}

var errCutOff = errors.New("cut off")

// Fetch is the one pipeline of a run and the setup's dry run: settings and
// mapping checked before PeopleHR is called, and a retried attempt starts
// its planner afresh.
func TestFetch(t *testing.T) {
	good := DefaultSettings()
	bad := DefaultSettings()
	bad.MassChangeThresholdPercent = 0
	noEmail := DefaultMapping()
	delete(noEmail.Fields, "email")
	tests := []struct {
		name     string
		settings Settings
		mapping  Mapping
		feed     *scriptedFeed
		wantErr  error
		rows     int
		calls    int
	}{
		{"a retried attempt starts afresh", good, DefaultMapping(), &scriptedFeed{attempts: []attempt{
			{recs: []Record{rec("E1", "a@example.com"), rec("E2", "b@example.com")}, err: errCutOff},
			{recs: []Record{rec("E1", "a@example.com")}},
		}}, nil, 1, 1},
		{"the feed's error is returned as it is", good, DefaultMapping(), &scriptedFeed{attempts: []attempt{{err: errCutOff}}}, errCutOff, 0, 1},
		{"settings that fail their check: PeopleHR is not called", bad, DefaultMapping(), &scriptedFeed{}, ErrInvalidSettings, 0, 0},
		{"a mapping that fails its check: PeopleHR is not called", good, noEmail, &scriptedFeed{}, ErrInvalidMapping, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen []int
			p, err := Fetch(context.Background(), tt.feed, "key", tt.mapping, tt.settings, now, func(rows int) { seen = append(seen, rows) })
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.feed.calls != tt.calls {
				t.Errorf("PeopleHR called %d times, want %d", tt.feed.calls, tt.calls)
			}
			if err != nil {
				if p != nil {
					t.Error("a planner with an error")
				}
				return
			}
			if p.Rows() != tt.rows || p.Today() != today {
				t.Errorf("rows %d today %s", p.Rows(), p.Today())
			}
			if plan := p.Plan(nil); plan.Counts.Created != tt.rows {
				t.Errorf("created %d", plan.Counts.Created)
			}
			if len(seen) == 0 || seen[len(seen)-1] != tt.rows {
				t.Errorf("progress %v", seen)
			}
		})
	}
}
