package stack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// platformCall makes a request to a platform route with token and returns
// the status and the decoded body.
func platformCall(t *testing.T, token, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d %q is not JSON", method, url, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// tokenOf is the token in a welcome link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("no token in %q", link)
	}
	return u.Query().Get("token")
}

// The platform's side of the lifecycle over HTTP, on the local stack:
// another tenant's name cannot redeem a token, an admin's token or a
// token without the scope cannot redeem at all, the right one joins the
// member once, a link past its 14 days is gone (410), and a leaver reads
// restricted right after the import that closes them; the directory pages
// from the start with leavers, and refuses a bad cursor.
func TestPlatformAPIOverHTTP(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	const joinBase = "https://platform-over-http.example"
	st := startWith(t, stack.Options{Employees: joinFeed(), Log: testLog(t), Now: clk.Now, InviteBaseURL: joinBase + "/join"})
	st.StartConsumers(ctx)
	base := serveAPI(t, st)
	seedAcme(t, st)
	err := st.SeedTenant(ctx, stack.Tenant{ID: "globex", ProgrammeName: "Globex", AdminEmail: "admin@globex.example",
		APIKey: peoplehrtest.DefaultAPIKey, Settings: integration.DefaultSettings(), Mapping: seedMapping()})
	if err != nil {
		t.Fatal(err)
	}
	run := runImport(t, st)
	waitMail(t, st, run.RunID)

	redeemer, err := st.PlatformToken(auth.ScopeInvitationsRedeem)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := st.PlatformToken(auth.ScopeMembersRead)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := st.Token(tenant, "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	ann := `{"token":"` + tokenOf(t, welcomeLink(t, "ann@acme.example", joinBase)) + `"}`
	redeem := func(tenant string) string { return base + "/platform/tenants/" + tenant + "/invitations/redeem" }
	for _, tc := range []struct {
		name, token, url string
		status           int
	}{
		{"as another tenant", redeemer, redeem("globex"), http.StatusNotFound},
		{"with an admin's token", admin, redeem(tenant), http.StatusUnauthorized},
		{"without the scope", reader, redeem(tenant), http.StatusForbidden},
		{"as the platform", redeemer, redeem(tenant), http.StatusOK},
		{"twice", redeemer, redeem(tenant), http.StatusConflict},
	} {
		if status, body := platformCall(t, tc.token, http.MethodPost, tc.url, ann); status != tc.status {
			t.Errorf("redeem %s: %d %v, want %d", tc.name, status, body, tc.status)
		}
	}
	if status, body := platformCall(t, reader, http.MethodGet, base+"/platform/tenants/acme/members/E001", ""); status != http.StatusOK || body["status"] != "active" || body["joinedAt"] == nil {
		t.Errorf("the joined member: %d %v", status, body)
	}
	// The platform's token is no admin's.
	if status, _ := platformCall(t, redeemer, http.MethodGet, base+"/members/E001", ""); status != http.StatusUnauthorized {
		t.Errorf("a platform token on the admin API: %d, want 401", status)
	}

	// Cara's link, 14 days on, has expired.
	cara := `{"token":"` + tokenOf(t, welcomeLink(t, "cara@acme.example", joinBase)) + `"}`
	clk.Set(clk.Now().Add(integration.InviteTTL))
	status, body := platformCall(t, redeemer, http.MethodPost, redeem(tenant), cara)
	if msg, _ := body["error"].(map[string]any)["message"].(string); status != http.StatusGone || !strings.Contains(msg, "ask your programme admin for a new invitation") {
		t.Errorf("an expired link: %d %v", status, body)
	}

	// Bob leaves today: restricted as soon as the import has run.
	feed := joinFeed()
	feed[1] = left(feed[1], clk.Now().Format(time.DateOnly))
	st.Sandbox.SetEmployees(feed)
	runImport(t, st)
	status, body = platformCall(t, reader, http.MethodGet, base+"/platform/tenants/acme/members/E002", "")
	access, _ := body["access"].(map[string]any)
	if status != http.StatusOK || body["status"] != "leaver" || access["level"] != "restricted" ||
		access["leftOn"] != clk.Now().Format(time.DateOnly) || access["deletesOn"] == "" {
		t.Errorf("the leaver: %d %v", status, body)
	}

	// The directory from the start: everyone, the leaver included.
	status, body = platformCall(t, reader, http.MethodGet, base+"/platform/tenants/acme/members?limit=10", "")
	ms, _ := body["members"].([]any)
	if status != http.StatusOK || len(ms) != 3 || body["next"] == "" {
		t.Errorf("the directory: %d %v", status, body)
	}
	for _, bad := range []string{"limit=0", "limit=501", "changedSince=not-a-cursor", "changedSince=" + url.QueryEscape(strings.Repeat("A", 2000))} {
		if status, body := platformCall(t, reader, http.MethodGet, base+"/platform/tenants/acme/members?"+bad, ""); status != http.StatusBadRequest {
			t.Errorf("%s: %d %v, want 400", bad, status, body)
		}
	}
}
