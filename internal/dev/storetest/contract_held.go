package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// testHeldDecisions: a held run's decision is taken once, by a conditional
// write; it can be withdrawn only by whoever holds it, and a run that is not
// held takes none.
func testHeldDecisions(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	held := &integration.Run{TenantID: "t1", RunID: integration.NewRunID(clk.Now()), Status: integration.StatusHeld}
	queued := &integration.Run{TenantID: "t1", RunID: "queued", Status: integration.StatusQueued}
	for _, r := range []*integration.Run{held, queued} {
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	approved, discarded := integration.ResolutionApproved+"a@x.example", integration.ResolutionDiscarded+"b@x.example"
	steps := []struct {
		name           string
		tenant, run    string
		from, to       string
		wantErr        error
		wantResolution string
	}{
		{"approve a waiting run", "t1", held.RunID, "", approved, nil, approved},
		{"discard it after", "t1", held.RunID, "", discarded, integration.ErrConflict, approved},
		{"withdraw another's decision", "t1", held.RunID, discarded, "", integration.ErrConflict, approved},
		{"withdraw the approval", "t1", held.RunID, approved, "", nil, ""},
		{"discard it then", "t1", held.RunID, "", discarded, nil, discarded},
		{"another tenant", "t2", held.RunID, discarded, "", integration.ErrConflict, discarded},
		{"a run that is not held", "t1", queued.RunID, "", approved, integration.ErrConflict, discarded},
		{"no such run", "t1", "nope", "", approved, integration.ErrConflict, discarded},
	}
	for _, st := range steps {
		err := s.DecideHeld(ctx, st.tenant, st.run, st.from, st.to)
		if st.wantErr == nil && err != nil || st.wantErr != nil && !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: %v, want %v", st.name, err, st.wantErr)
		}
		got, err := s.GetRun(ctx, "t1", held.RunID)
		if err != nil || got.Resolution != st.wantResolution || got.Status != integration.StatusHeld {
			t.Fatalf("%s: held run %+v (%v), want resolution %q", st.name, got, err, st.wantResolution)
		}
	}
	if got, err := s.GetRun(ctx, "t1", queued.RunID); err != nil || got.Resolution != "" {
		t.Fatalf("the queued run took a decision: %+v (%v)", got, err)
	}
}

// testConcurrentDecisions: approvals and discards of one held run at once:
// exactly one wins and the run keeps its decision.
func testConcurrentDecisions(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	held := &integration.Run{TenantID: "t1", RunID: integration.NewRunID(clk.Now()), Status: integration.StatusHeld}
	if err := s.CreateRun(ctx, held); err != nil {
		t.Fatal(err)
	}
	decisions := make([]string, 8)
	for i := range decisions {
		decisions[i] = integration.ResolutionApproved
		if i%2 == 1 {
			decisions[i] = integration.ResolutionDiscarded
		}
		decisions[i] += string(rune('a'+i)) + "@x.example"
	}
	errs := make([]error, len(decisions))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, d := range decisions {
		wg.Go(func() {
			<-start
			errs[i] = s.DecideHeld(ctx, "t1", held.RunID, "", d)
		})
	}
	close(start)
	wg.Wait()
	var won []string
	for i, err := range errs {
		switch {
		case err == nil:
			won = append(won, decisions[i])
		case !errors.Is(err, integration.ErrConflict):
			t.Fatalf("decision %d: %v", i, err)
		}
	}
	got, err := s.GetRun(ctx, "t1", held.RunID)
	if err != nil || len(won) != 1 || got.Resolution != won[0] {
		t.Fatalf("won %q, stored %+v (%v): want exactly one decision, the stored one", won, got, err)
	}
}
