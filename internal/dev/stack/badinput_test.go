package stack_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
)

// Malformed and hostile requests get a clear 4xx with the error envelope,
// and change nothing: the integration's version is the same afterwards.
func TestBadRequestsChangeNothing(t *testing.T) {
	_, base, c, unchanged := untouchable(t)

	huge := `{"timeZone":"` + strings.Repeat("x", 70<<10) + `"}`
	tests := []struct {
		method, path, body string
		ctype              string
		want               int
		field              string
	}{
		{"PUT", "/integration/settings", `{"frequency":"fortnightly"}`, "", 400, "frequency"},
		{"PUT", "/integration/settings", `{"frequency":7}`, "", 400, "frequency"},
		{"PUT", "/integration/settings", `{"timeOfDay":"25:00"}`, "", 400, "timeOfDay"},
		{"PUT", "/integration/settings", `{"timeOfDay":"9am"}`, "", 400, "timeOfDay"},
		{"PUT", "/integration/settings", `{"frequency":"weekly","weekday":"someday"}`, "", 400, "weekday"},
		{"PUT", "/integration/settings", `{"timeZone":"Mars/Olympus"}`, "", 400, "timeZone"},
		{"PUT", "/integration/settings", `{"timeZone":"../../etc/passwd"}`, "", 400, "timeZone"},
		{"PUT", "/integration/settings", `{"dateFormat":"yyyyMMdd"}`, "", 400, "dateFormat"},
		{"PUT", "/integration/settings", `{"welcomeEmail":"yes"}`, "", 400, "welcomeEmail"},
		{"PUT", "/integration/settings", `{"massChangeThresholdPercent":0}`, "", 400, "massChangeThresholdPercent"},
		{"PUT", "/integration/settings", `{"massChangeThresholdPercent":10.5}`, "", 400, "massChangeThresholdPercent"},
		{"PUT", "/integration/settings", `{"summaryRecipients":["not an email"]}`, "", 400, "summaryRecipients[0]"},
		{"PUT", "/integration/settings", `{"summaryRecipients":"a@b.example"}`, "", 400, "summaryRecipients"},
		{"PUT", "/integration/settings", `{"tenantId":"globex"}`, "", 400, "tenantId"},
		{"PUT", "/integration/settings", `{"frequency":"daily"} {"frequency":"hourly"}`, "", 400, ""},
		{"PUT", "/integration/settings", `[{"frequency":"daily"}]`, "", 400, ""},
		{"PUT", "/integration/settings", `{"frequency":"daily"`, "", 400, ""},
		{"PUT", "/integration/settings", ``, "", 400, ""},
		{"PUT", "/integration/settings", huge, "", 413, ""},
		{"PUT", "/integration/settings", `frequency=daily`, "application/x-www-form-urlencoded", 415, ""},
		{"PUT", "/integration/mapping", `{"uniqueKey":"EmployeeId","fields":{"email":"BankDetail.AccountNumber"}}`, "", 400, "fields.email"},
		{"PUT", "/integration/mapping", `{"uniqueKey":"","fields":{"email":"EmailId"}}`, "", 400, "uniqueKey"},
		{"PUT", "/integration/mapping", `{"uniqueKey":"EmployeeId","fields":{"salary":"APIColumn1","email":"EmailId"}}`, "", 400, "fields.salary"},
		{"PUT", "/integration/mapping", `{"uniqueKey":"EmployeeId","fields":{"email":"'; DROP TABLE members;--"}}`, "", 400, "fields.email"},
		{"PUT", "/integration/mapping", `{"uniqueKey":"EmployeeId","fields":["email"]}`, "", 400, "fields"},
		{"POST", "/integration/authorization", `{"apiKey":"short"}`, "", 400, "apiKey"},
		{"POST", "/integration/authorization", `{"apiKey":"<script>alert(1)</script>aaaaaaaaaaaa"}`, "", 400, "apiKey"},
		{"POST", "/integration/authorization", `{"apiKey":123}`, "", 400, "apiKey"},
		{"POST", "/integration/authorization", `{"apiKey":"` + strings.Repeat("a", 200) + `"}`, "", 400, "apiKey"},
		{"POST", "/integration/authorization", `{"key":"0f8fad5b-d9cb-469f-a165-70867728950e"}`, "", 400, "key"},
		{"GET", "/imports?limit=0", "", "", 400, "limit"},
		{"GET", "/imports?limit=abc", "", "", 400, "limit"},
		{"GET", "/imports?cursor=!!!", "", "", 400, "cursor"},
		{"GET", "/members?status=ghost", "", "", 400, "status"},
		{"GET", "/imports/does-not-exist", "", "", 404, ""},
		{"POST", "/imports/does-not-exist/approve", "", "", 404, ""},
		{"GET", "/no/such/route", "", "", 404, ""},
		{"PATCH", "/integration", "", "", 405, ""},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		ctype := tt.ctype
		if ctype == "" {
			ctype = "application/json"
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		name := tt.method + " " + tt.path + " " + trimmed(tt.body)
		if resp.StatusCode != tt.want {
			t.Errorf("%s = %d, want %d: %s", name, resp.StatusCode, tt.want, body)
			continue
		}
		if !strings.Contains(string(body), `"error"`) || !strings.Contains(string(body), `"requestId"`) {
			t.Errorf("%s: not the error envelope: %s", name, body)
		}
		if tt.field != "" && !strings.Contains(string(body), `"field":"`+tt.field+`"`) {
			t.Errorf("%s: no detail for %s: %s", name, tt.field, body)
		}
	}
	unchanged()
}

// untouchable serves a stack with tenant acme authorized, and returns its
// base URL, acme's client, and a check that nothing changed since: the same
// integration version and no run started.
func untouchable(t *testing.T) (*stack.Stack, string, *apiClient, func()) {
	t.Helper()
	st := newStack(t, &clock{now: time.Now()}, peoplehrtest.DemoEmployees(), nil)
	base := serveAPI(t, st)
	c := newClient(t, st, base, "acme", "admin@acme.example", &bytes.Buffer{})
	c.must(200, "POST", "/integration/authorization", map[string]any{"apiKey": peoplehrtest.DefaultAPIKey}, nil)
	var before struct{ Version int }
	c.must(200, "GET", "/integration", nil, &before)
	return st, base, c, func() {
		t.Helper()
		var after struct{ Version int }
		c.must(200, "GET", "/integration", nil, &after)
		if after.Version != before.Version {
			t.Errorf("the integration changed: version %d -> %d", before.Version, after.Version)
		}
		if runs, _, _ := st.Store.ListRuns(context.Background(), "acme", "", 10); len(runs) != 0 {
			t.Errorf("%d runs started", len(runs))
		}
	}
}

func trimmed(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
