package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/api"
	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/files"
	"github.com/peoplesync/peoplesync/internal/files/filestest"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

// The API's main paths against the in-memory store (storetest keeps it to
// the DynamoDB store's contract) and the PeopleHR sandbox: no emulator.
// The end-to-end tests of internal/dev/stack walk the same routes over
// HTTP on the local stack.

// plainKeys "seals" a key by keeping it.
type plainKeys struct{}

func (plainKeys) Seal(_ context.Context, _, apiKey string) ([]byte, error) {
	return []byte(apiKey), nil
}
func (plainKeys) Open(_ context.Context, _ string, sealed []byte) (string, error) {
	return string(sealed), nil
}

// jobs records the import jobs queued.
type jobs struct {
	mu   sync.Mutex
	sent []integration.Job
}

func (j *jobs) Send(_ context.Context, js ...integration.Job) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.sent = append(j.sent, js...)
	return nil
}

// mailbox records the mail jobs queued.
type mailbox struct {
	mu   sync.Mutex
	sent []integration.MailJob
}

func (m *mailbox) Send(_ context.Context, js ...integration.MailJob) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, js...)
	return nil
}

// links signs nothing: the link names the key and how long it works. The
// issues are read as the Lambda reads them, from a bucket in memory.
type links struct{ *files.Links }

func (links) Presign(_ context.Context, key string, ttl time.Duration) (string, error) {
	return fmt.Sprintf("https://files.example/%s?ttl=%s", key, ttl), nil
}

// exportFiles keeps the exports' files in memory, by key, with their
// content types.
type exportFiles struct {
	mu    sync.Mutex
	files map[string][]byte
	types map[string]string
}

func (f *exportFiles) PutExport(_ context.Context, key, _, contentType string, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[key], f.types[key] = body, contentType
	return nil
}

func (f *exportFiles) get(key string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.files[key]
}

type env struct {
	clk     *storetest.Clock
	store   *storetest.Memory
	jobs    *jobs
	mail    *mailbox
	exports *exportFiles
	// files is the error files' bucket, links what reads it.
	files *filestest.S3
	links links
	logs  *bytes.Buffer // what the server logged, as JSON lines
	s     *api.Server
}

// newEnv serves the API to the admin of the tenant each request names in
// X-Tenant.
func newEnv(t *testing.T, employees []peoplehrtest.Employee, opts ...api.Option) *env {
	t.Helper()
	e := &env{clk: storetest.NewClock(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)), jobs: &jobs{}, mail: &mailbox{}, logs: &bytes.Buffer{},
		exports: &exportFiles{files: map[string][]byte{}, types: map[string]string{}}}
	e.store = storetest.NewMemory(e.clk.Now)
	e.files = filestest.New()
	e.links = links{files.NewLinks(nil, e.files, "errors-bucket")}
	sb := peoplehrtest.New(peoplehrtest.Options{Employees: employees})
	t.Cleanup(sb.Close)
	authn := func(r *http.Request) (auth.Principal, error) {
		tenant := r.Header.Get("X-Tenant")
		return auth.Principal{TenantID: tenant, Email: "admin@" + tenant + ".example"}, nil
	}
	s, err := api.New(e.store, peoplehr.New(sb.URL()), plainKeys{}, e.jobs, e.mail, e.links, authn, slog.New(slog.NewJSONHandler(e.logs, nil)), e.clk.Now, append([]api.Option{api.WithExports(e.exports)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	return e
}

// call makes a request as tenant's admin and decodes the answer into out
// (if not nil), failing unless the status is want.
func (e *env) call(t *testing.T, tenant, method, path, body string, want int, out any) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("X-Tenant", tenant)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	e.s.ServeHTTP(rec, req)
	if rec.Code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, rec.Code, rec.Body, want)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return rec
}

func staff() []peoplehrtest.Employee {
	var out []peoplehrtest.Employee
	for i := range 3 {
		id := fmt.Sprintf("E%d", i+1)
		out = append(out, peoplehrtest.Employee{EmployeeID: id, FirstName: "Staff", LastName: id, EmailID: strings.ToLower(id) + "@acme.example",
			StartDate: "2020-01-06", EmployeeStatus: peoplehrtest.ActiveStatus})
	}
	return out
}

type integrationView struct {
	State     integration.State    `json:"state"`
	Published bool                 `json:"published"`
	Settings  integration.Settings `json:"settings"`
	Key       *struct {
		KeyLast4 string `json:"keyLast4"`
	} `json:"key"`
	NextRunAt *time.Time `json:"nextRunAt"`
	LastRun   *runView   `json:"lastRun"`
	Version   int64      `json:"version"`
}

type runView struct {
	RunID      string             `json:"runId"`
	Status     integration.Status `json:"status"`
	StartedBy  string             `json:"startedBy"`
	Counts     engine.Counts      `json:"counts"`
	ErrorFile  bool               `json:"errorFile"`
	Resolution string             `json:"resolution"`
}

type apiError struct {
	Error api.Error `json:"error"`
}

// An admin walks the setup: settings, key, fields, mapping, review,
// publish; publishing schedules the integration and queues its first
// import, which "import now" then finds.
func TestTheSetupWalksToAnImport(t *testing.T) {
	e := newEnv(t, staff())
	var in integrationView
	rec := e.call(t, "acme", http.MethodPut, "/integration/settings", `{"timeOfDay":"03:00","summaryRecipients":[" HR@Acme.example "]}`, http.StatusOK, &in)
	if in.Settings.TimeOfDay != "03:00" || in.Settings.SummaryRecipients[0] != "hr@acme.example" || in.Version != 1 || rec.Header().Get("ETag") != `"1"` {
		t.Errorf("settings %+v, ETag %s", in, rec.Header().Get("ETag"))
	}

	var bad apiError
	e.call(t, "acme", http.MethodPost, "/integration/authorization", `{"apiKey":"6ba7b810-9dad-11d1-80b4-00c04fd430c8"}`, http.StatusUnprocessableEntity, &bad)
	if bad.Error.Code != "invalid_key" {
		t.Errorf("a bad key: %+v", bad)
	}
	e.call(t, "acme", http.MethodPost, "/integration/authorization", `{"apiKey":"`+peoplehrtest.DefaultAPIKey+`"}`, http.StatusOK, nil)
	stored, err := e.store.GetIntegration(context.Background(), "acme")
	if err != nil || stored.Key == nil || string(stored.Key.Ciphertext) != peoplehrtest.DefaultAPIKey {
		t.Fatalf("the key was not stored sealed: %v %+v", err, stored)
	}

	var fields struct {
		Sources []struct{ Path string } `json:"sources"`
	}
	e.call(t, "acme", http.MethodGet, "/integration/fields", "", http.StatusOK, &fields)
	if len(fields.Sources) == 0 || fields.Sources[0].Path != "EmployeeId" {
		t.Errorf("fields %+v", fields)
	}
	mapping, _ := json.Marshal(engine.DefaultMapping())
	e.call(t, "acme", http.MethodPut, "/integration/mapping", string(mapping), http.StatusOK, nil)

	var review struct {
		Preview struct {
			Counts  engine.Counts `json:"counts"`
			Creates []struct {
				EmployeeID string `json:"employeeId"`
			} `json:"creates"`
		} `json:"preview"`
	}
	e.call(t, "acme", http.MethodGet, "/integration/review", "", http.StatusOK, &review)
	if review.Preview.Counts.Created != 3 || len(review.Preview.Creates) != 3 {
		t.Errorf("review %+v", review.Preview)
	}
	if ms, _ := e.store.Members(context.Background(), "acme"); len(ms) != 0 {
		t.Errorf("the review wrote %d members", len(ms))
	}

	e.call(t, "acme", http.MethodPost, "/integration/publish", "", http.StatusOK, &in)
	stored, _ = e.store.GetIntegration(context.Background(), "acme")
	if !in.Published || in.State != integration.StateLive || in.NextRunAt == nil || !stored.Scheduled() {
		t.Errorf("published %+v, stored scheduled %v", in, stored.Scheduled())
	}
	if len(e.jobs.sent) != 1 || e.jobs.sent[0].Trigger != integration.TriggerManual || e.jobs.sent[0].TenantID != "acme" {
		t.Fatalf("jobs %+v, want the first import", e.jobs.sent)
	}
	var run runView
	e.call(t, "acme", http.MethodPost, "/imports", "", http.StatusOK, &run) // the first import is still queued
	if run.RunID != e.jobs.sent[0].RunID || len(e.jobs.sent) != 1 || run.StartedBy != "admin@acme.example" {
		t.Errorf("import now %+v, jobs %+v", run, e.jobs.sent)
	}
}

// seedRuns stores what runs leave: members (one a leaver), their logs, a
// finished run with an error file and a held one.
func (e *env) seedRuns(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	leaver := storetest.NewMember("E3", "e3@acme.example")
	leaver.Status, leaver.LeftOn, leaver.PurgeOn = engine.StatusLeaver, "2026-03-01", "2026-05-01"
	changes := storetest.Creates(storetest.NewMember("E1", "e1@acme.example"), storetest.NewMember("E2", "e2@acme.example"), leaver)
	if _, err := e.store.Apply(ctx, "acme", "r1", changes, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SaveLog(ctx, "acme", []integration.LogEntry{{EmployeeID: "E1", RunID: "r1", Action: "create", Reason: "new in PeopleHR", At: e.clk.Now()}}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*integration.Run{
		{TenantID: "acme", RunID: "20260310T080000000000Z-aaaaaaaa", Status: integration.StatusSucceededWithErrors, ErrorFileKey: "errors/acme/r1.csv", Counts: engine.Counts{Created: 3, Errors: 1}},
		{TenantID: "acme", RunID: "20260310T085000000000Z-bbbbbbbb", Status: integration.StatusHeld, HeldReason: "12 of 20 active members would be closed"},
	} {
		if err := e.store.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTheReadingRoutes(t *testing.T) {
	e := newEnv(t, staff())
	e.seedRuns(t)
	const finished, held = "20260310T080000000000Z-aaaaaaaa", "20260310T085000000000Z-bbbbbbbb"

	var runs struct {
		Items      []runView `json:"items"`
		NextCursor string    `json:"nextCursor"`
	}
	e.call(t, "acme", http.MethodGet, "/imports?limit=1", "", http.StatusOK, &runs)
	if len(runs.Items) != 1 || runs.Items[0].RunID != held || runs.NextCursor == "" {
		t.Fatalf("first page %+v", runs)
	}
	e.call(t, "acme", http.MethodGet, "/imports?limit=1&cursor="+runs.NextCursor, "", http.StatusOK, &runs)
	if len(runs.Items) != 1 || runs.Items[0].RunID != finished {
		t.Errorf("second page %+v", runs)
	}
	var bad apiError
	e.call(t, "acme", http.MethodGet, "/imports?cursor=bm9wZQ", "", http.StatusBadRequest, &bad)
	if bad.Error.Code != "validation_failed" || len(bad.Error.Details) != 1 || bad.Error.Details[0].Field != "cursor" {
		t.Errorf("a cursor of no list: %+v", bad)
	}

	var run runView
	e.call(t, "acme", http.MethodGet, "/imports/"+finished, "", http.StatusOK, &run)
	if run.Status != integration.StatusSucceededWithErrors || run.Counts.Created != 3 || !run.ErrorFile {
		t.Errorf("run %+v", run)
	}
	var link struct{ URL string }
	e.call(t, "acme", http.MethodGet, "/imports/"+finished+"/errors", "", http.StatusOK, &link)
	if link.URL != "https://files.example/errors/acme/r1.csv?ttl=15m0s" {
		t.Errorf("error file link %q", link.URL)
	}
	if rec := e.call(t, "acme", http.MethodGet, "/imports/"+finished+"/errors?redirect=true", "", http.StatusFound, nil); rec.Header().Get("Location") != link.URL {
		t.Errorf("redirect to %q", rec.Header().Get("Location"))
	}
	e.call(t, "acme", http.MethodGet, "/imports/"+held+"/errors", "", http.StatusNotFound, nil)

	var members struct {
		Items []struct {
			Fields map[string]string `json:"fields"`
			Status engine.Status     `json:"status"`
		} `json:"items"`
	}
	e.call(t, "acme", http.MethodGet, "/members?status=leaver", "", http.StatusOK, &members)
	if len(members.Items) != 1 || members.Items[0].Fields["employeeId"] != "E3" {
		t.Errorf("leavers %+v", members)
	}
	e.call(t, "acme", http.MethodGet, "/members?status=gone", "", http.StatusBadRequest, nil)
	var member struct {
		Fields  map[string]string `json:"fields"`
		Welcome engine.Welcome    `json:"welcome"`
	}
	e.call(t, "acme", http.MethodGet, "/members/E1", "", http.StatusOK, &member)
	if member.Fields["email"] != "e1@acme.example" || member.Welcome != engine.WelcomeOwed {
		t.Errorf("member %+v", member)
	}
	var log struct {
		Items []integration.LogEntry `json:"items"`
	}
	e.call(t, "acme", http.MethodGet, "/members/E1/log", "", http.StatusOK, &log)
	if len(log.Items) != 1 || log.Items[0].Reason != "new in PeopleHR" {
		t.Errorf("log %+v", log)
	}
	e.call(t, "acme", http.MethodGet, "/members/E2/log", "", http.StatusOK, &log)
	if len(log.Items) != 0 {
		t.Errorf("E2's log %+v", log)
	}
	e.call(t, "acme", http.MethodGet, "/members/NOBODY", "", http.StatusNotFound, nil)
	e.call(t, "acme", http.MethodGet, "/members/NOBODY/log", "", http.StatusNotFound, nil)

	// A held run is discarded once; a finished one cannot be.
	e.call(t, "acme", http.MethodPost, "/imports/"+finished+"/discard", "", http.StatusConflict, nil)
	e.call(t, "acme", http.MethodPost, "/imports/"+held+"/discard", "", http.StatusOK, &run)
	if run.Resolution != "discarded by admin@acme.example" {
		t.Errorf("discarded %+v", run)
	}
	e.call(t, "acme", http.MethodPost, "/imports/"+held+"/discard", "", http.StatusConflict, nil)
	e.call(t, "acme", http.MethodPost, "/imports/"+held+"/approve", "", http.StatusConflict, nil)
}

// Another tenant's admin, given the first tenant's ids, finds nothing and
// changes nothing.
func TestAnotherTenantFindsNothing(t *testing.T) {
	e := newEnv(t, staff())
	e.seedRuns(t)
	const held = "20260310T085000000000Z-bbbbbbbb"
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/imports/20260310T080000000000Z-aaaaaaaa"},
		{http.MethodGet, "/imports/20260310T080000000000Z-aaaaaaaa/errors"},
		{http.MethodPost, "/imports/" + held + "/discard"},
		{http.MethodPost, "/imports/" + held + "/approve"},
		{http.MethodGet, "/members/E1"},
		{http.MethodGet, "/members/E1/log"},
	} {
		e.call(t, "globex", r.method, r.path, "", http.StatusNotFound, nil)
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	for _, path := range []string{"/imports", "/members"} {
		e.call(t, "globex", http.MethodGet, path, "", http.StatusOK, &page)
		if len(page.Items) != 0 {
			t.Errorf("%s: %d of another tenant's items", path, len(page.Items))
		}
	}
	if r, _ := e.store.GetRun(context.Background(), "acme", held); r.Resolution != "" {
		t.Errorf("another tenant resolved the held run: %q", r.Resolution)
	}
}

// The fixed egress address reaches the setup help through GET
// /integration, and only on a stack that has one.
func TestTheIntegrationNamesTheEgressAddress(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []api.Option
		want string
	}{
		{"no fixed egress", nil, ""},
		{"fixed egress", []api.Option{api.WithEgressIP(netip.MustParseAddr("203.0.113.7"))}, "203.0.113.7"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, staff(), tt.opts...)
			var got map[string]any
			e.call(t, "acme", http.MethodGet, "/integration", "", http.StatusOK, &got)
			ip, present := got["egressIp"]
			if tt.want == "" && present || tt.want != "" && ip != tt.want {
				t.Errorf("egressIp %v (present %v), want %q", ip, present, tt.want)
			}
		})
	}
}
