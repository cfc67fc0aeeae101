package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/peoplesync/peoplesync/internal/api"
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/ratelimit"
)

// notify posts a notification to the listener at path (with its key), as
// PeopleHR does: no token.
func (e *env) notify(t *testing.T, path, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	e.s.ServeHTTP(rec, req)
	return rec
}

// listenerPath makes acme a listener URL and answers its path and query.
func (e *env) listenerPath(t *testing.T) (string, string) {
	t.Helper()
	var l struct{ URL, CreatedAt string }
	e.call(t, "acme", http.MethodPost, "/integration/listener", "", http.StatusCreated, &l)
	u, err := url.Parse(l.URL)
	if err != nil || u.Path != "/hooks/peoplehr" || len(u.Query().Get("key")) < 43 || l.CreatedAt == "" {
		t.Fatalf("listener %+v (%v): want the hook path with a 256-bit key", l, err)
	}
	return u.RequestURI(), u.Query().Get("key")
}

const jsonType, formType = "application/json", "application/x-www-form-urlencoded"

// A listener URL is made once (its key shown then only), rotated and
// revoked; each notification of a change queues the tenant's change run
// for its window, in either encoding, and anything else is acknowledged
// and ignored; a wrong, old or missing key reads nothing.
func TestTheListenerQueuesChangeRuns(t *testing.T) {
	e := newEnv(t, staff())
	path, key := e.listenerPath(t)
	var in map[string]any
	e.call(t, "acme", http.MethodGet, "/integration", "", http.StatusOK, &in)
	if l, _ := in["listener"].(map[string]any); l["createdAt"] == nil || l["url"] != nil || strings.Contains(e.callBody(t, "/integration"), key) {
		t.Errorf("the integration shows the listener as %v: want its date only", in["listener"])
	}

	for _, tc := range []struct {
		name, contentType, body string
		status                  int
	}{
		{"a leaver, JSON", jsonType, `{"ActionId":3,"Action":"Marked Leaver","EmployeeId":"E001"}`, http.StatusAccepted},
		{"a detail, form fields", formType, "ActionId=2&Action=Employee+Detail+Updated&EmployeeId=E002&FieldName=Other+Name(s)&NewValue=Am", http.StatusAccepted},
		{"a new starter, lower-case keys, the id as a string", jsonType, `{"actionid":"1","action":"New Starter Added","employeeid":"E009"}`, http.StatusAccepted},
		{"a deletion by its words", jsonType, `{"ActionId":51,"Action":"Employee Deleted","EmployeeId":"E003"}`, http.StatusAccepted},
		{"a holiday", jsonType, `{"ActionId":4,"Action":"Holiday Booked","EmployeeId":"E001"}`, http.StatusOK},
		{"no employee", jsonType, `{"ActionId":3,"Action":"Marked Leaver"}`, http.StatusOK},
		{"an id PeopleHR cannot have", jsonType, `{"ActionId":3,"EmployeeId":"` + strings.Repeat("E", 16) + `"}`, http.StatusOK},
		{"broken JSON", jsonType, `{"ActionId":3,`, http.StatusBadRequest},
		{"too large", jsonType, `{"Reason":"` + strings.Repeat("x", 20<<10) + `"}`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if rec := e.notify(t, path, tc.contentType, tc.body); rec.Code != tc.status {
				t.Errorf("%d %s, want %d", rec.Code, rec.Body, tc.status)
			}
		})
	}
	want := integration.ChangeJob("acme", e.clk.Now())
	if len(e.jobs.sent) != 4 {
		t.Fatalf("%d jobs queued, want one per followed notification (the queue makes them one)", len(e.jobs.sent))
	}
	for _, j := range e.jobs.sent {
		if j != want || j.Trigger != integration.TriggerPeopleHRChange || !j.NotBefore.After(e.clk.Now()) {
			t.Errorf("job %+v, want %+v", j, want)
		}
	}
	// Each followed notification noted its employee for the run, once.
	e.notify(t, path, jsonType, `{"ActionId":2,"EmployeeId":"E002"}`)
	if got, err := e.store.ChangedEmployees(context.Background(), "acme", want.RunID); err != nil || !slices.Equal(got.IDs, []string{"E001", "E002", "E003", "E009"}) || got.All {
		t.Errorf("the run's employees: %+v %v, want E001 E002 E003 E009", got, err)
	}
	e.jobs.sent = e.jobs.sent[:4]

	// A rotation stops the old key at once; a revocation the new one.
	newPath, newKey := e.listenerPath(t)
	for _, p := range []string{path, "/hooks/peoplehr?key=" + url.QueryEscape(key+"x"), "/hooks/peoplehr", "/hooks/peoplehr?key="} {
		if rec := e.notify(t, p, jsonType, `{"ActionId":3,"EmployeeId":"E001"}`); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
	e.call(t, "acme", http.MethodDelete, "/integration/listener", "", http.StatusNoContent, nil)
	if rec := e.notify(t, newPath, jsonType, `{"ActionId":3,"EmployeeId":"E001"}`); rec.Code != http.StatusNotFound {
		t.Errorf("a revoked key: %d, want 404", rec.Code)
	}
	e.call(t, "acme", http.MethodDelete, "/integration/listener", "", http.StatusNotFound, nil)
	if len(e.jobs.sent) != 4 {
		t.Errorf("%d jobs after the refused notifications, want still 4", len(e.jobs.sent))
	}
	// The keys are in no log line.
	for _, k := range []string{key, newKey} {
		if strings.Contains(e.logs.String(), k) {
			t.Errorf("a listener key reached the log:\n%s", e.logs)
		}
	}
}

// callBody is the body of a GET by acme's admin.
func (e *env) callBody(t *testing.T, path string) string {
	t.Helper()
	return e.call(t, "acme", http.MethodGet, path, "", http.StatusOK, nil).Body.String()
}

// One tenant's notifications are limited by a bucket of their own.
func TestTheListenerIsThrottledPerTenant(t *testing.T) {
	limits := api.DefaultLimits
	limits.Hooks = ratelimit.Limit{Name: "hooks", Rate: 1, Burst: 3}
	// The buckets on a clock that stands still: no token comes back.
	buckets := storetest.NewMemory(storetest.NewClock(storetest.Start).Now)
	e := newEnv(t, staff(), api.WithRateLimits(buckets, limits))
	path, _ := e.listenerPath(t)
	codes := map[int]int{}
	for range 5 {
		rec := e.notify(t, path, jsonType, `{"ActionId":2,"EmployeeId":"E001"}`)
		codes[rec.Code]++
		if rec.Code == http.StatusTooManyRequests && rec.Header().Get("Retry-After") == "" {
			t.Error("a 429 without Retry-After")
		}
	}
	if codes[http.StatusAccepted] != 3 || codes[http.StatusTooManyRequests] != 2 {
		t.Errorf("answers %v, want 3 accepted then 2 throttled", codes)
	}
}
