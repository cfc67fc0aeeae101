package platform_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/events"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/platform"
)

// recorder keeps the events published.
type recorder struct {
	mu  sync.Mutex
	evs []events.Event
}

func (r *recorder) Publish(_ context.Context, evs ...events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, evs...)
	return nil
}

type env struct {
	clk   *storetest.Clock
	store *storetest.Memory
	evs   *recorder
	s     *platform.Server
}

// newEnv serves the platform API over a memory store holding tenant acme's
// members E1 (invited, its welcome sent with token "tok-E1"), E2 (likewise,
// "tok-E2") and L1 (a leaver). The test authenticator takes the scopes
// from X-Scopes; no header is no token.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clk: storetest.NewClock(storetest.Start), evs: &recorder{}}
	e.store = storetest.NewMemory(e.clk.Now)
	ctx := context.Background()
	leaver := storetest.NewMember("L1", "l1@acme.example")
	leaver.Status, leaver.LeftOn, leaver.PurgeOn = engine.StatusLeaver, "2026-03-01", "2026-04-30"
	ms := []engine.Member{storetest.NewMember("E1", "e1@acme.example"), storetest.NewMember("E2", "e2@acme.example"), leaver}
	ms[0].Values.Set(engine.JobTitle, "Analyst")
	if _, err := e.store.Apply(ctx, "acme", "r1", storetest.Creates(ms...), nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"E1", "E2"} {
		if _, err := e.store.ClaimWelcome(ctx, "acme", id, integration.InviteHash("tok-"+id), e.clk.Now().Add(integration.InviteTTL)); err != nil {
			t.Fatal(err)
		}
	}
	authn := func(r *http.Request) (auth.Machine, error) {
		scopes, ok := r.Header["X-Scopes"]
		if !ok {
			return auth.Machine{}, auth.ErrUnauthenticated
		}
		return auth.Machine{Client: "test", Scopes: strings.Fields(strings.Join(scopes, " "))}, nil
	}
	s, err := platform.New(e.store, e.evs, authn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	return e
}

const both = auth.ScopeMembersRead + " " + auth.ScopeInvitationsRedeem

// call makes a request with scopes (nil: no token) and returns the status
// and the decoded body.
func (e *env) call(t *testing.T, scopes []string, method, path, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if scopes != nil {
		req.Header["X-Scopes"] = scopes
	}
	rec := httptest.NewRecorder()
	e.s.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, rec.Body, err)
		}
	}
	return rec.Code, out
}

func code(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// The redemptions SPEC's issue 14 lists, each with its answer.
func TestRedeem(t *testing.T) {
	e := newEnv(t)
	redeem := func(tenant, token string) (int, map[string]any) {
		return e.call(t, []string{both}, http.MethodPost, "/platform/tenants/"+tenant+"/invitations/redeem", `{"token":"`+token+`"}`)
	}
	e.clk.Add(time.Hour)
	status, body := redeem("acme", "tok-E1")
	if status != http.StatusOK || body["status"] != "active" || body["employeeId"] != "E1" || body["email"] != "e1@acme.example" ||
		body["joinedAt"] != e.clk.Now().UTC().Format(time.RFC3339) {
		t.Fatalf("redeem: %d %v", status, body)
	}
	if f, _ := body["fields"].(map[string]any); f["jobTitle"] != "Analyst" || f["firstName"] != "Zoë E1" {
		t.Errorf("profile fields %v", body["fields"])
	}
	if a, _ := body["access"].(map[string]any); a["level"] != "full" {
		t.Errorf("access %v", body["access"])
	}
	if len(e.evs.evs) != 1 || e.evs.evs[0].Type != events.MemberJoined ||
		e.evs.evs[0].Detail.(events.Joined) != (events.Joined{TenantID: "acme", EmployeeID: "E1", Status: engine.StatusActive, OccurredAt: e.clk.Now().UTC()}) {
		t.Errorf("events %+v", e.evs.evs)
	}

	for _, tc := range []struct {
		name, tenant, token string
		status              int
		code, message       string
	}{
		{"spent", "acme", "tok-E1", http.StatusConflict, "invitation_spent", ""},
		{"unknown", "acme", "tok-nobody", http.StatusNotFound, "invitation_not_found", ""},
		{"another tenant's", "globex", "tok-E2", http.StatusNotFound, "invitation_not_found", ""},
		{"bad tenant id", "x%23y", "tok-E2", http.StatusBadRequest, "invalid_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := redeem(tc.tenant, tc.token)
			if status != tc.status || code(body) != tc.code {
				t.Errorf("%d %v, want %d %s", status, body, tc.status, tc.code)
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		e.clk.Add(integration.InviteTTL)
		status, body := redeem("acme", "tok-E2")
		msg, _ := body["error"].(map[string]any)["message"].(string)
		if status != http.StatusGone || code(body) != "invitation_expired" || !strings.Contains(msg, "ask your programme admin for a new invitation") {
			t.Errorf("%d %v", status, body)
		}
	})
	if len(e.evs.evs) != 1 {
		t.Errorf("%d events after the refusals, want the one join", len(e.evs.evs))
	}
}

func TestRedeemALeaver(t *testing.T) {
	e := newEnv(t)
	if _, err := e.store.ClaimWelcome(context.Background(), "acme", "L1", integration.InviteHash("tok-L1"), e.clk.Now().Add(time.Hour)); !errors.Is(err, integration.ErrConflict) {
		t.Fatalf("a leaver's welcome was claimed: %v", err)
	}
	// A leaver closed after its welcome went out.
	m, _ := e.store.GetMember(context.Background(), "acme", "E2")
	closed := storetest.Change(engine.KindClose, m, func(m *engine.Member) {
		m.Status, m.LeftOn, m.PurgeOn = engine.StatusLeaver, "2026-03-10", "2026-05-09"
	})
	if _, err := e.store.Apply(context.Background(), "acme", "r2", []engine.Change{closed}, nil); err != nil {
		t.Fatal(err)
	}
	status, body := e.call(t, []string{both}, http.MethodPost, "/platform/tenants/acme/invitations/redeem", `{"token":"tok-E2"}`)
	if status != http.StatusForbidden || code(body) != "member_left" {
		t.Errorf("%d %v", status, body)
	}
}

// Reading the directory: by id (a leaver restricted, with its dates) and by
// address for sign-in.
func TestReadMembers(t *testing.T) {
	e := newEnv(t)
	read := []string{auth.ScopeMembersRead}
	status, body := e.call(t, read, http.MethodGet, "/platform/tenants/acme/members/L1", "")
	if a, _ := body["access"].(map[string]any); status != http.StatusOK || body["status"] != "leaver" ||
		a["level"] != "restricted" || a["leftOn"] != "2026-03-01" || a["deletesOn"] != "2026-04-30" || body["joinedAt"] != nil {
		t.Errorf("leaver: %d %v", status, body)
	}
	status, body = e.call(t, read, http.MethodGet, "/platform/tenants/acme/members?email=E1@Acme.example", "")
	if status != http.StatusOK || body["employeeId"] != "E1" || body["status"] != "invited" {
		t.Errorf("by email: %d %v", status, body)
	}
	for _, tc := range []struct {
		path   string
		status int
		code   string
	}{
		{"/platform/tenants/acme/members/E9", http.StatusNotFound, "member_not_found"},
		{"/platform/tenants/globex/members/E1", http.StatusNotFound, "member_not_found"},
		{"/platform/tenants/acme/members?email=nobody@acme.example", http.StatusNotFound, "member_not_found"},
		{"/platform/tenants/acme/members?email=not-an-address", http.StatusBadRequest, "invalid_request"},
	} {
		if status, body := e.call(t, read, http.MethodGet, tc.path, ""); status != tc.status || code(body) != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.path, status, body, tc.status, tc.code)
		}
	}
}

// changes reads one page of changes and returns the status, the members'
// ids, the page itself and its next cursor.
func (e *env) changes(t *testing.T, tenant, query string) (int, []string, []map[string]any, string) {
	t.Helper()
	status, body := e.call(t, []string{auth.ScopeMembersRead}, http.MethodGet, "/platform/tenants/"+tenant+"/members"+query, "")
	raw, isList := body["members"].([]any)
	if status == http.StatusOK && !isList {
		t.Fatalf("%s: no members list in %v", query, body)
	}
	var ids []string
	var ms []map[string]any
	for _, r := range raw {
		m, _ := r.(map[string]any)
		ids, ms = append(ids, m["employeeId"].(string)), append(ms, m)
	}
	next, _ := body["next"].(string)
	if status == http.StatusOK && next == "" {
		t.Fatalf("%s: no next cursor in %v", query, body)
	}
	return status, ids, ms, next
}

// A mirror pages through the directory from the start, then through what
// changed since, leavers included.
func TestChangedMembers(t *testing.T) {
	e := newEnv(t)
	e.clk.Add(2 * time.Minute) // changes show a minute after they are made
	_, first, _, next := e.changes(t, "acme", "?limit=2")
	_, second, page, next := e.changes(t, "acme", "?limit=2&changedSince="+next)
	if !slices.Equal(first, []string{"E1", "E2"}) || !slices.Equal(second, []string{"L1"}) {
		t.Fatalf("pages %v then %v", first, second)
	}
	if a, _ := page[0]["access"].(map[string]any); a["level"] != "restricted" || page[0]["status"] != "leaver" ||
		page[0]["updatedAt"] != storetest.Start.Format(time.RFC3339) {
		t.Errorf("the leaver reads as %v", page[0])
	}
	if _, ids, _, again := e.changes(t, "acme", "?changedSince="+next); len(ids) != 0 || again != next {
		t.Errorf("nothing changed, yet %v (next %q, was %q)", ids, again, next)
	}

	e.clk.Add(time.Hour)
	if status, _ := e.call(t, []string{both}, http.MethodPost, "/platform/tenants/acme/invitations/redeem", `{"token":"tok-E2"}`); status != http.StatusOK {
		t.Fatalf("redeem: %d", status)
	}
	e.clk.Add(2 * time.Minute)
	_, ids, page, _ := e.changes(t, "acme", "?changedSince="+next)
	if !slices.Equal(ids, []string{"E2"}) || page[0]["status"] != "active" {
		t.Errorf("changed since: %v %v", ids, page)
	}
	if _, ids, _, _ := e.changes(t, "acme", "?changedSince="); !slices.Equal(ids, []string{"E1", "L1", "E2"}) {
		t.Errorf("from the start, in the order written: %v", ids)
	}
	if _, ids, _, _ := e.changes(t, "globex", ""); len(ids) != 0 {
		t.Errorf("another tenant's: %v", ids)
	}
}

func TestChangedMembersRefuses(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		query  string
		status int
	}{
		{"?limit=1", http.StatusOK},
		{"?limit=500", http.StatusOK},
		{"?limit=0", http.StatusBadRequest},
		{"?limit=501", http.StatusBadRequest},
		{"?limit=-1", http.StatusBadRequest},
		{"?limit=ten", http.StatusBadRequest},
		{"?changedSince=not-a-cursor", http.StatusBadRequest},
		{"?changedSince=RSNFMQ", http.StatusBadRequest},  // a member page's cursor
		{"?email=&changedSince=", http.StatusBadRequest}, // with email, the lookup
	} {
		t.Run(tc.query, func(t *testing.T) {
			status, body := e.call(t, []string{auth.ScopeMembersRead}, http.MethodGet, "/platform/tenants/acme/members"+tc.query, "")
			if status != tc.status || (status != http.StatusOK && code(body) != "invalid_request") {
				t.Errorf("%d %v, want %d", status, body, tc.status)
			}
		})
	}
}

// Each route takes a token with its own scope and nothing less.
func TestScopesAndTokens(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		scopes []string
		method string
		path   string
		status int
	}{
		{"no token", nil, http.MethodGet, "/platform/tenants/acme/members/E1", http.StatusUnauthorized},
		{"read without its scope", []string{auth.ScopeInvitationsRedeem}, http.MethodGet, "/platform/tenants/acme/members/E1", http.StatusForbidden},
		{"redeem without its scope", []string{auth.ScopeMembersRead}, http.MethodPost, "/platform/tenants/acme/invitations/redeem", http.StatusForbidden},
		{"changes with no token", nil, http.MethodGet, "/platform/tenants/acme/members?changedSince=", http.StatusUnauthorized},
		{"changes without their scope", []string{auth.ScopeInvitationsRedeem}, http.MethodGet, "/platform/tenants/acme/members?limit=5", http.StatusForbidden},
		{"no such route", []string{both}, http.MethodGet, "/platform/tenants/acme/integration", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := e.call(t, tc.scopes, tc.method, tc.path, `{"token":"tok-E1"}`); status != tc.status {
				t.Errorf("%d %v, want %d", status, body, tc.status)
			}
		})
	}
	if m, _ := e.store.GetMember(context.Background(), "acme", "E1"); m.Status != engine.StatusInvited {
		t.Errorf("a refused request redeemed the invitation: %+v", m)
	}
}

func TestRedeemBodies(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{``, `{}`, `{"token":""}`, `{"token":"tok-E1","tenant":"globex"}`, `[1]`, `{"token":"` + strings.Repeat("a", 300) + `"}`} {
		if status, out := e.call(t, []string{both}, http.MethodPost, "/platform/tenants/acme/invitations/redeem", body); status != http.StatusBadRequest {
			t.Errorf("body %.40q: %d %v, want 400", body, status, out)
		}
	}
}

// Of concurrent redemptions of one token exactly one joins.
func TestRedeemAtOnce(t *testing.T) {
	e := newEnv(t)
	statuses := make([]int, 8)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			statuses[i], _ = e.call(t, []string{both}, http.MethodPost, "/platform/tenants/acme/invitations/redeem", `{"token":"tok-E1"}`)
		})
	}
	wg.Wait()
	ok, spent := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
			spent++
		}
	}
	if ok != 1 || spent != len(statuses)-1 || len(e.evs.evs) != 1 {
		t.Errorf("statuses %v, %d events: want one 200, the rest 409, one event", statuses, len(e.evs.evs))
	}
}
