package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/integration"
)

func testAuditTrail(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	var want []string
	for i, action := range []string{integration.AuditSettingsSaved, integration.AuditKeyAdded, integration.AuditMappingSaved, integration.AuditExportRequested, integration.AuditKeyRevoked} {
		clk.Add(time.Minute)
		e := integration.AuditEntry{ID: integration.NewRunID(clk.Now()), At: clk.Now(), Actor: "admin@t1.example", Action: action, Detail: "step " + string(rune('a'+i))}
		if err := s.AddAudit(ctx, "t1", e); err != nil {
			t.Fatal(err)
		}
		want = append([]string{action}, want...)
	}
	if err := s.AddAudit(ctx, "t2", integration.AuditEntry{ID: integration.NewRunID(clk.Now()), At: clk.Now(), Actor: "x@t2.example", Action: "settings.saved"}); err != nil {
		t.Fatal(err)
	}
	var newest integration.AuditEntry
	got := walkPages(t, 2, func(cursor string) ([]string, string, error) {
		page, next, err := s.AuditTrail(ctx, "t1", cursor, 2)
		var actions []string
		for _, e := range page {
			if newest.ID == "" {
				newest = e
			}
			actions = append(actions, e.Action)
		}
		return actions, next, err
	})
	if !slices.Equal(got, want) {
		t.Errorf("t1's trail %q, want newest first %q", got, want)
	}
	if newest.Actor != "admin@t1.example" || newest.Detail != "step e" || !newest.At.Equal(clk.Now()) {
		t.Errorf("the newest entry reads back as %+v", newest)
	}
	if _, _, err := s.AuditTrail(ctx, "t1", "bm90LWEtY3Vyc29y", 2); !errors.Is(err, integration.ErrBadCursor) {
		t.Errorf("a cursor the store did not make: %v", err)
	}
	if other, _, err := s.AuditTrail(ctx, "t3", "", 10); err != nil || len(other) != 0 {
		t.Errorf("a tenant without a trail: %v %d", err, len(other))
	}
}

func testExports(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	if _, err := s.GetExport(ctx, "t1", "nope"); !errors.Is(err, integration.ErrNotFound) {
		t.Fatalf("a missing export: %v", err)
	}
	first := &integration.Export{TenantID: "t1", ExportID: integration.NewRunID(clk.Now()), Kind: integration.ExportMembers,
		Status: integration.ExportRunning, RequestedBy: "admin@t1.example", CreatedAt: clk.Now()}
	if err := s.SaveExport(ctx, first); err != nil {
		t.Fatal(err)
	}
	// Progress, then the end: each save replaces the record.
	first.Rows, first.Total = 40, 100
	if err := s.SaveExport(ctx, first); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	first.Rows, first.Status, first.FileKey, first.FinishedAt = 100, integration.ExportDone, "exports/t1/x.csv", clk.Now()
	if err := s.SaveExport(ctx, first); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetExport(ctx, "t1", first.ExportID)
	if err != nil || !reflect.DeepEqual(got, first) {
		t.Fatalf("read back %+v %v, want %+v", got, err, first)
	}
	clk.Add(time.Minute)
	second := &integration.Export{TenantID: "t1", ExportID: integration.NewRunID(clk.Now()), Kind: integration.ExportAudit,
		Status: integration.ExportFailed, FailureReason: "too many", RequestedBy: "admin@t1.example", CreatedAt: clk.Now()}
	if err := s.SaveExport(ctx, second); err != nil {
		t.Fatal(err)
	}
	ids := walkPages(t, 1, func(cursor string) ([]string, string, error) {
		page, next, err := s.ListExports(ctx, "t1", cursor, 1)
		var out []string
		for _, x := range page {
			out = append(out, x.ExportID)
		}
		return out, next, err
	})
	if want := []string{second.ExportID, first.ExportID}; !slices.Equal(ids, want) {
		t.Errorf("exports %q, want newest first %q", ids, want)
	}
	if _, err := s.GetExport(ctx, "t2", first.ExportID); !errors.Is(err, integration.ErrNotFound) {
		t.Errorf("another tenant read the export: %v", err)
	}
	if other, _, err := s.ListExports(ctx, "t2", "", 10); err != nil || len(other) != 0 {
		t.Errorf("another tenant listed the exports: %v %d", err, len(other))
	}
}

// The log of a period: the lines of the runs queued in it, every member's,
// by run then employee id, bounded; another tenant's are its own.
func testLogOfPeriod(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	day := func(n int) time.Time { return Start.Add(time.Duration(n) * 24 * time.Hour) }
	run := func(n int) string { return integration.NewRunID(day(n).Add(time.Hour)) }
	runs := []string{run(0), run(1), run(2)}
	var entries []integration.LogEntry
	for _, r := range runs {
		for _, emp := range []string{"E3", "E1", "E20", "E2"} {
			entries = append(entries, integration.LogEntry{EmployeeID: emp, RunID: r, Action: "update", Reason: r, At: clk.Now(),
				Changes: []integration.FieldChange{{Field: "department", Old: "Sales", New: "Ops"}}})
		}
	}
	if err := s.SaveLog(ctx, "t1", entries); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveLog(ctx, "t2", entries[:1]); err != nil {
		t.Fatal(err)
	}
	// Lines reach the index a moment after they are written on DynamoDB.
	var got []integration.LogEntry
	for range 50 {
		var err error
		if got, err = s.LogOfPeriod(ctx, "t1", day(1), day(3), 100); err != nil {
			t.Fatal(err)
		}
		if len(got) >= 8 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var keys []string
	for _, e := range got {
		keys = append(keys, e.RunID+" "+e.EmployeeID)
		if len(e.Changes) != 1 || e.Changes[0].New != "Ops" || e.Reason != e.RunID || !e.At.Equal(clk.Now()) {
			t.Errorf("line %+v", e)
		}
	}
	var want []string
	for _, r := range runs[1:] {
		for _, emp := range []string{"E1", "E2", "E20", "E3"} {
			want = append(want, r+" "+emp)
		}
	}
	if !slices.Equal(keys, want) {
		t.Errorf("the log of days 1 and 2:\n%q\nwant\n%q", keys, want)
	}
	if bounded, err := s.LogOfPeriod(ctx, "t1", day(0), day(3), 5); err != nil || len(bounded) != 6 {
		t.Errorf("bounded to 5: %d lines (want one more, to tell there are more), %v", len(bounded), err)
	}
	if none, err := s.LogOfPeriod(ctx, "t1", day(3), day(9), 100); err != nil || len(none) != 0 {
		t.Errorf("a period without runs: %d lines, %v", len(none), err)
	}
	if other, err := s.LogOfPeriod(ctx, "t3", day(0), day(3), 100); err != nil || len(other) != 0 {
		t.Errorf("another tenant's period: %d lines, %v", len(other), err)
	}
}
