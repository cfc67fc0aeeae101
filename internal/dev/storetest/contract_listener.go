package storetest

import (
	"context"
	"errors"
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
