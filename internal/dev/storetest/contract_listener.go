package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/integration"
)

func testListeners(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	for _, tenant := range []string{"t1", "t2"} {
		if _, err := s.GetListener(ctx, tenant); !errors.Is(err, integration.ErrNotFound) {
			t.Fatalf("listener of a new tenant: %v", err)
		}
	}
	l, err := s.PutListener(ctx, "t1", "h1")
	if err != nil || !l.CreatedAt.Equal(clk.Now()) {
		t.Fatalf("put listener: %+v %v", l, err)
	}
	if _, err := s.PutListener(ctx, "t2", "h2"); err != nil {
		t.Fatal(err)
	}
	for hash, want := range map[string]string{"h1": "t1", "h2": "t2"} {
		if tenant, err := s.ListenerTenant(ctx, hash); err != nil || tenant != want {
			t.Errorf("tenant of %s: %q %v, want %s", hash, tenant, err, want)
		}
	}
	// A rotation: the old secret finds no one at once.
	clk.Add(time.Hour)
	if l, err = s.PutListener(ctx, "t1", "h1b"); err != nil || !l.CreatedAt.Equal(clk.Now()) {
		t.Fatalf("rotate: %+v %v", l, err)
	}
	if _, err := s.ListenerTenant(ctx, "h1"); !errors.Is(err, integration.ErrNotFound) {
		t.Errorf("the rotated-out secret: %v, want not found", err)
	}
	if got, err := s.GetListener(ctx, "t1"); err != nil || !got.CreatedAt.Equal(clk.Now()) {
		t.Errorf("listener after the rotation: %+v %v", got, err)
	}
	// Revoked: nothing finds the tenant; the other tenant keeps its own.
	if err := s.DeleteListener(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListenerTenant(ctx, "h1b"); !errors.Is(err, integration.ErrNotFound) {
		t.Errorf("a revoked secret: %v", err)
	}
	if err := s.DeleteListener(ctx, "t1"); !errors.Is(err, integration.ErrNotFound) {
		t.Errorf("revoking twice: %v", err)
	}
	if tenant, err := s.ListenerTenant(ctx, "h2"); err != nil || tenant != "t2" {
		t.Errorf("the other tenant's listener: %q %v", tenant, err)
	}
}

func testChangeNotes(t *testing.T, s Store, _ *Clock) {
	ctx := context.Background()
	const run, other = "20260310T090000000000Z-peoplehr_change", "20260310T090020000000Z-peoplehr_change"
	if got, err := s.ChangedEmployees(ctx, "t1", run); err != nil || len(got.IDs) != 0 || got.All {
		t.Fatalf("a run nothing was noted for: %+v %v", got, err)
	}
	// Repeats are one id; the ids come back sorted whatever the order.
	for _, id := range []string{"PW3", "PW1", "PW3", "PW2", "PW1"} {
		if err := s.NoteChange(ctx, "t1", run, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.NoteChange(ctx, "t2", run, "PW9"); err != nil {
		t.Fatal(err)
	}
	if err := s.NoteChange(ctx, "t1", other, "PW8"); err != nil {
		t.Fatal(err)
	}
	got, err := s.ChangedEmployees(ctx, "t1", run)
	if err != nil || !slices.Equal(got.IDs, []string{"PW1", "PW2", "PW3"}) || got.All {
		t.Fatalf("noted: %+v %v, want PW1 PW2 PW3 (not another tenant's or run's)", got, err)
	}
	// Up to MaxTargetedReads ids are kept; one more marks the run to read
	// everyone, and an id already noted still changes nothing.
	for i := 4; i <= integration.MaxTargetedReads; i++ {
		if err := s.NoteChange(ctx, "t1", run, fmt.Sprintf("PW%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ = s.ChangedEmployees(ctx, "t1", run); len(got.IDs) != integration.MaxTargetedReads || got.All {
		t.Fatalf("at the limit: %+v", got)
	}
	if err := s.NoteChange(ctx, "t1", run, "PW1"); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.ChangedEmployees(ctx, "t1", run); got.All {
		t.Fatalf("a repeat at the limit marked the run to read everyone: %+v", got)
	}
	for _, id := range []string{"PW99", "PW100"} {
		if err := s.NoteChange(ctx, "t1", run, id); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ = s.ChangedEmployees(ctx, "t1", run); !got.All || len(got.IDs) != integration.MaxTargetedReads {
		t.Fatalf("past the limit: %+v, want All and the first %d ids", got, integration.MaxTargetedReads)
	}
	if got, _ = s.ChangedEmployees(ctx, "t2", run); !slices.Equal(got.IDs, []string{"PW9"}) || got.All {
		t.Fatalf("the other tenant's: %+v", got)
	}
}
