package storetest

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// readChanges reads pages of changes from cursor until one is empty, and
// returns the members read, in the order read, and the cursor to go on
// from.
func readChanges(t *testing.T, s Store, tenant, cursor string, limit int) ([]engine.Member, string) {
	t.Helper()
	var all []engine.Member
	for range 50 {
		page, next, err := s.ChangedMembers(context.Background(), tenant, cursor, limit)
		if err != nil {
			t.Fatalf("changes after %q: %v", cursor, err)
		}
		if len(page) > limit {
			t.Fatalf("a page of %d, limit %d", len(page), limit)
		}
		if next == "" {
			t.Fatalf("no cursor after %q", cursor)
		}
		if len(page) == 0 {
			return all, next
		}
		all, cursor = append(all, page...), next
	}
	t.Fatal("the pages of changes do not end")
	return nil, ""
}

// distinct are the employee ids of ms, sorted, each once: a reader of
// changes may be given a member twice, and keys on its id.
func distinct(ms []engine.Member) []string {
	return slices.Compact(slices.Sorted(slices.Values(ids(ms))))
}

func testChangedMembers(t *testing.T, s Store, clk *Clock) {
	ctx := context.Background()
	for _, run := range [][]string{{"E1", "E2"}, {"E3"}, {"E4", "E5"}} {
		var ms []engine.Member
		for _, id := range run {
			ms = append(ms, NewMember(id, id+"@x.example"))
		}
		apply(t, s, "t1", Creates(ms...)...)
		clk.Add(time.Hour)
	}
	apply(t, s, "t2", Creates(NewMember("OTHER", "o@x.example"))...)
	clk.Add(time.Hour)

	all, cursor := readChanges(t, s, "t1", "", 2)
	if got := distinct(all); !slices.Equal(got, []string{"E1", "E2", "E3", "E4", "E5"}) {
		t.Fatalf("from the start: %v", got)
	}
	if again, next := readChanges(t, s, "t1", cursor, 2); len(again) != 0 || next == "" {
		t.Errorf("nothing changed, yet: %v (next %q)", ids(again), next)
	}

	clk.Add(time.Hour)
	stored := members(t, s, "t1")
	apply(t, s, "t1",
		Change(engine.KindUpdate, stored[1], func(m *engine.Member) { m.Values.Set(engine.JobTitle, "Lead") }),
		Change(engine.KindClose, stored[3], leave),
		Change(engine.KindUpdate, stored[4], func(m *engine.Member) { m.Values.Set(engine.LastName, "Okafor") }),
	)
	if early, _ := readChanges(t, s, "t1", cursor, 2); len(early) != 0 {
		t.Errorf("changes shown within the lag: %v", ids(early))
	}
	clk.Add(2 * time.Minute)
	changed, next := readChanges(t, s, "t1", cursor, 2)
	if got := ids(changed); !slices.Equal(got, []string{"E2", "E4", "E5"}) {
		t.Fatalf("changed since: %v, want E2 E4 E5 (in the order written)", got)
	}
	if changed[0].Values.Get(engine.JobTitle) != "Lead" || changed[1].Status != engine.StatusLeaver {
		t.Errorf("changes read as %+v", changed)
	}
	if after, _ := readChanges(t, s, "t1", next, 2); len(after) != 0 {
		t.Errorf("after the changes: %v", ids(after))
	}

	if other, _ := readChanges(t, s, "t2", "", 2); !slices.Equal(ids(other), []string{"OTHER"}) {
		t.Errorf("t2's changes: %v", ids(other))
	}
	for _, tc := range []struct{ name, cursor string }{
		{"not base64", "not base64!"},
		{"a member page's", base64.RawURLEncoding.EncodeToString([]byte("E#E1"))},
		{"cut short", cursor[:len(cursor)/2]},
		{"garbage", base64.RawURLEncoding.EncodeToString([]byte(`{"after":"yesterday"}`))},
	} {
		if _, _, err := s.ChangedMembers(ctx, "t1", tc.cursor, 2); !errors.Is(err, integration.ErrBadCursor) {
			t.Errorf("%s cursor: %v, want a bad cursor", tc.name, err)
		}
	}
}
