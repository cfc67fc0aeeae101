package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// testQueueRun: a tenant's slot holds one queued or running run; a run that
// ended frees it, whatever its end, and tenants do not share one.
func testQueueRun(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	newRun := func(tenant string, i int) *integration.Run {
		now := clk.Now().Add(time.Duration(i) * time.Minute)
		return &integration.Run{TenantID: tenant, RunID: integration.NewRunID(now), Trigger: integration.TriggerManual, Status: integration.StatusQueued, QueuedAt: now}
	}
	first := newRun("t1", 0)
	steps := []struct {
		name     string
		before   integration.Status // first's status before the call, "" to leave it
		run      *integration.Run
		wantHeld *integration.Run // the run answered instead, nil when run is queued
	}{
		{"a first run is queued", "", first, nil},
		{"a second waits for it", "", newRun("t1", 1), first},
		{"another tenant has its own slot", "", newRun("t2", 2), nil},
		{"a running run keeps the slot", integration.StatusRunning, newRun("t1", 3), first},
		{"a finished run frees it", integration.StatusSucceeded, newRun("t1", 4), nil},
	}
	for _, st := range steps {
		if st.before != "" {
			first.Status = st.before
			if err := s.SaveRun(ctx, first); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.QueueRun(ctx, st.run)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		_, stored := s.GetRun(ctx, st.run.TenantID, st.run.RunID)
		switch {
		case st.wantHeld == nil && (got != nil || stored != nil):
			t.Fatalf("%s: answered %+v (stored: %v), want the run queued", st.name, got, stored)
		case st.wantHeld != nil && (got == nil || got.RunID != st.wantHeld.RunID || !errors.Is(stored, integration.ErrNotFound)):
			t.Fatalf("%s: answered %+v (stored: %v), want %s and nothing stored", st.name, got, stored, st.wantHeld.RunID)
		}
	}
	// The run that took the slot last is held: the slot is free again, and
	// a run id already taken is a conflict, not a second record.
	last := steps[len(steps)-1].run
	last.Status = integration.StatusHeld
	if err := s.SaveRun(ctx, last); err != nil {
		t.Fatal(err)
	}
	if _, err := s.QueueRun(ctx, first); !errors.Is(err, integration.ErrConflict) {
		t.Fatalf("queue a run id already used: %v", err)
	}
	if got, err := s.QueueRun(ctx, newRun("t1", 5)); err != nil || got != nil {
		t.Fatalf("after a held run: %+v %v, want the run queued", got, err)
	}
}

// testConcurrentQueueRuns: ten callers queue a run for one tenant at once:
// one run is recorded and every other caller is answered with it.
func testConcurrentQueueRuns(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	const callers = 10
	answers := make([]string, callers)
	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			r := &integration.Run{TenantID: "t1", RunID: fmt.Sprintf("%s-%02d", integration.NewRunID(clk.Now()), i), Status: integration.StatusQueued}
			<-start
			active, err := s.QueueRun(ctx, r)
			errs[i], answers[i] = err, r.RunID
			if active != nil {
				answers[i] = active.RunID
			}
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	runs, _, err := s.ListRuns(ctx, "t1", "", 20)
	if err != nil || len(runs) != 1 {
		t.Fatalf("%d runs recorded (%v), want 1", len(runs), err)
	}
	for i, a := range answers {
		if a != runs[0].RunID {
			t.Errorf("caller %d was answered with %s, want %s", i, a, runs[0].RunID)
		}
	}
}
