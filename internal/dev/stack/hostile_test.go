package stack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/peoplesync/peoplesync/internal/auth"
)

// hostileValues are what attackers and accidents put in JSON fields.
var hostileValues = []any{
	"", " ", "\x00", "' OR '1'='1' --", "<script>alert(1)</script>", "${jndi:ldap://127.0.0.1/x}",
	"../../etc/passwd", "🚀🚀🚀", "\u202egnp.exe", strings.Repeat("x", 10000), "=HYPERLINK(\"http://x\")",
	-1, 1e308, true, nil, []any{"a"}, map[string]any{"$ne": 1},
}

// hostileIDs go in paths and queries where ids belong.
var hostileIDs = []string{
	"%2e%2e", "..%2F..%2Fintegration", "T%23acme%23R", "%00", "'%20OR%201=1", "%3Cscript%3E",
	strings.Repeat("9", 65), "20261127T095906Z-schedule%0A", "*", "%F0%9F%9A%80", "R%23",
}

// More than 200 malformed or hostile requests, generated from the fields
// and routes: each gets a 4xx with the error envelope, and together they
// change nothing.
func TestHostileRequestsGet4xxAndChangeNothing(t *testing.T) {
	st, base, c, unchanged := untouchable(t)
	machine, err := st.PlatformToken(auth.ScopeMembersRead, auth.ScopeInvitationsRedeem)
	if err != nil {
		t.Fatal(err)
	}

	// token is the admin's unless a request names another.
	type req struct{ method, path, body, token string }
	var reqs []req
	jsonOf := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	boolFields := map[string]bool{"welcomeEmail": true, "closeMissingMembers": true, "emailWhenNothingChanged": true}
	settingsFields := []string{"frequency", "timeOfDay", "weekday", "timeZone", "dateFormat", "welcomeEmail",
		"summaryRecipients", "closeMissingMembers", "massChangeThresholdPercent", "emailWhenNothingChanged"}
	for _, field := range settingsFields {
		for _, v := range hostileValues {
			if v == true && boolFields[field] {
				continue // a boolean field takes true: not hostile there
			}
			body := map[string]any{field: v}
			if field == "weekday" {
				body["frequency"] = "weekly"
			}
			if field == "summaryRecipients" {
				body[field] = []any{v}
			}
			reqs = append(reqs, req{"PUT", "/integration/settings", jsonOf(body), ""})
		}
	}
	for _, v := range hostileValues {
		reqs = append(reqs,
			req{"PUT", "/integration/mapping", jsonOf(map[string]any{"uniqueKey": "EmployeeId", "fields": map[string]any{"email": v}}), ""},
			req{"PUT", "/integration/mapping", jsonOf(map[string]any{"uniqueKey": v, "fields": map[string]any{"email": "EmailId"}}), ""},
			req{"POST", "/integration/authorization", jsonOf(map[string]any{"apiKey": v}), ""},
			// The platform's redemption, with its own token.
			req{"POST", "/platform/tenants/acme/invitations/redeem", jsonOf(map[string]any{"token": v}), machine},
		)
	}
	for _, id := range hostileIDs {
		for _, p := range []string{"/imports/%s", "/imports/%s/errors"} {
			reqs = append(reqs, req{"GET", fmt.Sprintf(p, id), "", ""})
		}
		for _, p := range []string{"/imports/%s/approve", "/imports/%s/discard"} {
			reqs = append(reqs, req{"POST", fmt.Sprintf(p, id), "", ""})
		}
		reqs = append(reqs, req{"GET", "/members/" + id, "", ""},
			req{"GET", "/imports?cursor=" + url.QueryEscape(id), "", ""},
			req{"GET", "/members?cursor=" + url.QueryEscape(id) + "&status=active", "", ""},
			req{"GET", "/platform/tenants/" + id + "/members/E1", "", machine},
			req{"GET", "/platform/tenants/acme/members/" + id, "", machine},
			req{"GET", "/platform/tenants/acme/members?email=" + url.QueryEscape(id), "", machine},
			req{"GET", "/platform/tenants/acme/members?changedSince=" + url.QueryEscape(id), "", machine},
			req{"GET", "/platform/tenants/acme/members?limit=" + url.QueryEscape(id), "", machine},
			req{"POST", "/platform/tenants/" + id + "/invitations/redeem", `{"token":"x"}`, machine})
	}
	// Each kind of token on the other's routes.
	for _, p := range []string{"/platform/tenants/acme/members/PW0002", "/platform/tenants/acme/members?email=oliver.jones@acme.example"} {
		reqs = append(reqs, req{"GET", p, "", ""})
	}
	reqs = append(reqs, req{"POST", "/platform/tenants/acme/invitations/redeem", `{"token":"x"}`, ""},
		req{"GET", "/integration", "", machine}, req{"GET", "/members", "", machine}, req{"POST", "/imports", "", machine})
	if len(reqs) < 200 {
		t.Fatalf("only %d requests", len(reqs))
	}
	for _, r := range reqs {
		httpReq, err := http.NewRequest(r.method, base+r.path, strings.NewReader(r.body))
		if err != nil {
			// A path Go's client refuses to send is refused before us.
			continue
		}
		token := c.token
		if r.token != "" {
			token = r.token
		}
		httpReq.Header.Set("Authorization", "Bearer "+token)
		httpReq.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(httpReq)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode > 499 {
			t.Errorf("%s %s %.80s = %d: %.200s", r.method, r.path, r.body, resp.StatusCode, body)
			continue
		}
		if !json.Valid(body) || !bytes.Contains(body, []byte(`"error"`)) {
			t.Errorf("%s %s: not the error envelope: %.200s", r.method, r.path, body)
		}
	}
	unchanged()
	t.Logf("%d hostile requests, all 4xx", len(reqs))
}
