package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// Person is a new member with a name.
func Person(id, first, last, email string) engine.Member {
	m := NewMember(id, email)
	m.Values.Set(engine.FirstName, first)
	m.Values.Set(engine.LastName, last)
	return m
}

func testSearch(t *testing.T, s Store, _ *Clock) {
	ctx := context.Background()
	analyst := Person("P1", "Zoë", "Smith", "zoe.smith@x.example")
	analyst.Values.Set(engine.JobTitle, "Analyst")
	apply(t, s, "t1", Creates(
		analyst,
		Person("P2", "John", "Smithers", "js@x.example"),
		Person("P3", "Seán", "O'Brien", "sean@x.example"),
		Person("P4", "Niamh", "Ó Briain", "niamh@x.example"),
		Person("P5", "ANNA", "Zoellner", "a.z@x.example"),
		Person("P6", "Smith", "Jones", "pj@x.example"),
		Person("P7", "Zoe", "Smithson", "zs@x.example"),
		Person("AB12", "Kim", "Lee", "kim@x.example"),
		Person("ab13", "Kai", "Lee", "kai@x.example"),
	)...)
	apply(t, s, "t2", Creates(Person("OTHER", "Zoe", "Smith", "zoe.smith@x.example"))...)
	apply(t, s, "t1", Change(engine.KindClose, member(t, s, "t1", "P7"), leave))

	search := func(tenant, q string, limit int) []string {
		t.Helper()
		return walkPages(t, limit, func(cursor string) ([]string, string, error) {
			page, next, err := s.SearchMembers(ctx, tenant, q, cursor, limit)
			return ids(page), next, err
		})
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		// Surnames first, then given names, emails and ids; each in its
		// key's order, a member listed once, under the first that finds it.
		{"zoe", []string{"P5", "P1", "P7"}},
		{"ZOË", []string{"P5", "P1", "P7"}},
		{"smith", []string{"P2", "P7", "P1", "P6"}},
		{"smith z", []string{"P1"}},
		{"smiths", []string{"P7"}},
		{"zoe smi", []string{"P1", "P7"}},
		{"o'b", []string{"P4", "P3"}},
		{"O B", []string{"P4", "P3"}},
		{"ó bri", []string{"P4", "P3"}},
		{"obrie", []string{"P3"}},
		{"sean@x", []string{"P3"}},
		{"zoe.smith@", []string{"P1"}},
		{"zoe.smith", []string{"P1", "P7"}}, // a name too: Zoe Smithson's
		{"ab1", []string{"ab13", "AB12"}},
		{"AB12", []string{"AB12"}},
		{"lee k", []string{"ab13", "AB12"}},
		{"nobody", nil},
	} {
		for _, limit := range []int{1, 2, 25} {
			if got := search("t1", tc.q, limit); !slices.Equal(got, tc.want) {
				t.Errorf("search %q by %d: %v, want %v", tc.q, limit, got, tc.want)
			}
		}
	}
	if got := search("t2", "zoe", 10); !slices.Equal(got, []string{"OTHER"}) {
		t.Errorf("t2's search: %v", got)
	}

	// A hit shows who, status and dates; no more.
	hits, _, err := s.SearchMembers(ctx, "t1", "smiths", "", 10)
	if err != nil || len(hits) != 1 {
		t.Fatalf("search smiths: %v %v", ids(hits), err)
	}
	if h := hits[0]; h.Status != engine.StatusLeaver || h.Email() != "zs@x.example" || h.Values.Get(engine.FirstName) != "Zoe" || h.CreatedAt.IsZero() {
		t.Errorf("hit: %+v", h)
	}
	hits, _, _ = s.SearchMembers(ctx, "t1", "zoe.smith@", "", 10)
	if len(hits) != 1 || hits[0].Values.Get(engine.JobTitle) != "" || hits[0].Values.Get(engine.LastName) != "Smith" {
		t.Errorf("a hit carries more than it shows: %+v", hits)
	}

	// The writes that change members keep the keys in step.
	apply(t, s, "t1", Change(engine.KindUpdate, member(t, s, "t1", "P1"), func(m *engine.Member) {
		m.Values.Set(engine.LastName, "Smyth")
		m.Values.Set(engine.Email, "zoe@y.example")
	}))
	if got := search("t1", "smith", 10); !slices.Equal(got, []string{"P2", "P7", "P6"}) {
		t.Errorf("smith after a rename: %v", got)
	}
	if got := search("t1", "smyth", 10); !slices.Equal(got, []string{"P1"}) {
		t.Errorf("smyth after a rename: %v", got)
	}
	if got := search("t1", "zoe.smith@", 10); got != nil {
		t.Errorf("the old address still finds: %v", got)
	}

	for _, q := range []string{"", "   ", string(make([]byte, integration.MaxQuery+1))} {
		if _, _, err := s.SearchMembers(ctx, "t1", q, "", 10); !errors.Is(err, integration.ErrBadQuery) {
			t.Errorf("query %q: %v, want a bad query", q, err)
		}
	}
	_, next, err := s.SearchMembers(ctx, "t1", "smith", "", 1)
	if err != nil || next == "" {
		t.Fatalf("first page: %q %v", next, err)
	}
	for _, bad := range []struct{ q, cursor string }{
		{"zoe", next}, // another query's
		{"smith", "not base64!"},
		{"smith", integration.SearchCursor{Query: "smith", Source: 9, After: "smith#P1"}.Encode()},
		{"smith", integration.SearchCursor{Query: "smith", Source: 0, After: "jones#P6"}.Encode()},
	} {
		if _, _, err := s.SearchMembers(ctx, "t1", bad.q, bad.cursor, 2); !errors.Is(err, integration.ErrBadCursor) {
			t.Errorf("query %q cursor %q: %v, want a bad cursor", bad.q, bad.cursor, err)
		}
	}
}
