package api_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/engine"
)

type hitPage struct {
	Items []struct {
		Fields    map[string]string `json:"fields"`
		Status    engine.Status     `json:"status"`
		CreatedAt *time.Time        `json:"createdAt"`
		InvitedAt *time.Time        `json:"invitedAt"`
		JoinedAt  *time.Time        `json:"joinedAt"`
		Log       string            `json:"log"`
		Welcome   *string           `json:"welcome"`
	} `json:"items"`
	NextCursor string `json:"nextCursor"`
}

func (e *env) seedPeople(t *testing.T) {
	t.Helper()
	zoe := storetest.Person("E 1", "Zoë", "Smith", "zoe@acme.example")
	zoe.Values.Set(engine.JobTitle, "Analyst")
	changes := storetest.Creates(zoe, storetest.Person("E2", "Seán", "O'Brien", "sean@acme.example"),
		storetest.Person("E3", "Ann", "Smithers", "ann@acme.example"))
	if _, err := e.store.Apply(context.Background(), "acme", "r1", changes, nil); err != nil {
		t.Fatal(err)
	}
}

func (e *env) search(t *testing.T, tenant, q string, limit int) []string {
	t.Helper()
	var found []string
	cursor := ""
	for range 10 {
		var page hitPage
		e.call(t, tenant, http.MethodGet, "/members?"+url.Values{"q": {q}, "cursor": {cursor}, "limit": {strconv.Itoa(limit)}}.Encode(), "", http.StatusOK, &page)
		for _, h := range page.Items {
			found = append(found, h.Fields["employeeId"])
		}
		if cursor = page.NextCursor; cursor == "" {
			return found
		}
	}
	t.Fatalf("search %q: the pages do not end", q)
	return nil
}

func TestMemberSearch(t *testing.T) {
	e := newEnv(t, staff())
	e.seedPeople(t)
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"smi", []string{"E3", "E 1"}},
		{"ZOE", []string{"E 1"}},
		{"o'b", []string{"E2"}},
		{"ob", []string{"E2"}},
		{"sean@", []string{"E2"}},
		{"e2", []string{"E2"}},
		{"nobody", nil},
	} {
		if got := e.search(t, "acme", tc.q, 1); !slices.Equal(got, tc.want) {
			t.Errorf("q=%q: %v, want %v", tc.q, got, tc.want)
		}
		if got := e.search(t, "globex", tc.q, 2); got != nil {
			t.Errorf("another tenant's q=%q: %v", tc.q, got)
		}
	}

	var page hitPage
	e.call(t, "acme", http.MethodGet, "/members?q=zo", "", http.StatusOK, &page)
	if len(page.Items) != 1 {
		t.Fatalf("q=zo: %+v", page)
	}
	h := page.Items[0]
	if h.Log != "/members/E%201/log" || h.Status != engine.StatusInvited || h.CreatedAt == nil || h.InvitedAt != nil || h.JoinedAt != nil ||
		h.Fields["lastName"] != "Smith" || h.Fields["email"] != "zoe@acme.example" || h.Fields["jobTitle"] != "" || h.Welcome != nil {
		t.Errorf("hit %+v", h)
	}
	// The log path is the member's log route.
	e.call(t, "acme", http.MethodGet, h.Log, "", http.StatusOK, nil)

	for _, path := range []string{
		"/members?q=" + url.QueryEscape("' -"),
		"/members?q=" + url.QueryEscape(string(make([]byte, 300))),
		"/members?q=smi&status=active",
		"/members?q=zoe&cursor=bm9wZQ",
		"/members?q=smi&limit=0",
	} {
		var bad apiError
		e.call(t, "acme", http.MethodGet, path, "", http.StatusBadRequest, &bad)
		if bad.Error.Code != "validation_failed" || len(bad.Error.Details) != 1 {
			t.Errorf("%s: %+v", path, bad)
		}
	}
	// A cursor belongs to its query.
	e.call(t, "acme", http.MethodGet, "/members?q=smi&limit=1", "", http.StatusOK, &page)
	e.call(t, "acme", http.MethodGet, "/members?q=smith&limit=1&cursor="+page.NextCursor, "", http.StatusBadRequest, nil)
	// A blank q lists, as no q does.
	var list struct{ Items []map[string]any }
	e.call(t, "acme", http.MethodGet, "/members?q=+", "", http.StatusOK, &list)
	if len(list.Items) != 3 || list.Items[0]["welcome"] != "owed" {
		t.Errorf("q blank: %+v", list)
	}
}
