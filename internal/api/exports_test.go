package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/api"
	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

type auditPage struct {
	Items      []integration.AuditEntry `json:"items"`
	NextCursor string                   `json:"nextCursor"`
}

type exportView struct {
	ExportID      string                   `json:"exportId"`
	Kind          integration.ExportKind   `json:"kind"`
	Format        integration.ExportFormat `json:"format"`
	From          string                   `json:"from"`
	To            string                   `json:"to"`
	Status        integration.ExportStatus `json:"status"`
	Rows          int                      `json:"rows"`
	Total         int                      `json:"total"`
	RequestedBy   string                   `json:"requestedBy"`
	ExpiresAt     time.Time                `json:"expiresAt"`
	FailureReason string                   `json:"failureReason"`
	URL           string                   `json:"url"`
}

// trail reads the whole of tenant's audit trail, newest first, a page of
// two at a time.
func (e *env) trail(t *testing.T, tenant string) []integration.AuditEntry {
	t.Helper()
	var all []integration.AuditEntry
	cursor := ""
	for range 50 {
		var p auditPage
		e.call(t, tenant, http.MethodGet, "/audit?limit=2&cursor="+cursor, "", http.StatusOK, &p)
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all
		}
		cursor = p.NextCursor
	}
	t.Fatal("the trail's pages do not end")
	return nil
}

// Each admin action is in the trail, newest first, with who did it and
// when; the key is in no detail, not even its last four; another tenant's
// trail is its own.
func TestTheAuditTrailRecordsAdminActions(t *testing.T) {
	e := newEnv(t, staff())
	step := func(method, path, body string, want int) {
		t.Helper()
		e.clk.Add(time.Minute)
		e.call(t, "acme", method, path, body, want, nil)
	}
	step(http.MethodPut, "/integration/settings", `{"timeOfDay":"03:00"}`, http.StatusOK)
	step(http.MethodPost, "/integration/authorization", `{"apiKey":"`+peoplehrtest.DefaultAPIKey+`"}`, http.StatusOK)
	step(http.MethodPut, "/integration/mapping", `{"uniqueKey":"EmployeeId","fields":{"email":"EmailId","firstName":"FirstName","lastName":"LastName"}}`, http.StatusOK)
	step(http.MethodPost, "/imports", "", http.StatusAccepted)
	step(http.MethodPost, "/integration/listener", "", http.StatusCreated)
	step(http.MethodDelete, "/integration/listener", "", http.StatusNoContent)
	step(http.MethodPost, "/integration/publish", "", http.StatusOK)
	step(http.MethodPost, "/integration/unpublish", "", http.StatusOK)
	step(http.MethodDelete, "/integration/authorization", "", http.StatusOK)
	// Refused actions did not happen: they are not in the trail.
	step(http.MethodDelete, "/integration/authorization", "", http.StatusConflict)
	step(http.MethodPut, "/integration/settings", `{"timeOfDay":"25:00"}`, http.StatusBadRequest)

	got := e.trail(t, "acme")
	var actions []string
	for i, en := range got {
		actions = append(actions, en.Action)
		if en.Actor != "admin@acme.example" {
			t.Errorf("entry %d by %q", i, en.Actor)
		}
		if i > 0 && !en.At.Before(got[i-1].At) {
			t.Errorf("entry %d (%s) is not older than the one before", i, en.At)
		}
		last4 := peoplehrtest.DefaultAPIKey[len(peoplehrtest.DefaultAPIKey)-4:]
		if strings.Contains(en.Detail, peoplehrtest.DefaultAPIKey) || strings.Contains(en.Detail, last4) {
			t.Errorf("entry %d shows the key: %q", i, en.Detail)
		}
	}
	want := []string{
		integration.AuditKeyRevoked, integration.AuditUnpublished, integration.AuditPublished, integration.AuditListenerRevoked,
		integration.AuditListenerMade, integration.AuditImportStarted, integration.AuditMappingSaved, integration.AuditKeyAdded, integration.AuditSettingsSaved,
	}
	if !slices.Equal(actions, want) {
		t.Errorf("the trail, newest first:\n%q\nwant\n%q", actions, want)
	}
	if got[len(got)-1].At != time.Date(2026, 3, 10, 9, 1, 0, 0, time.UTC) {
		t.Errorf("the settings were saved at %s", got[len(got)-1].At)
	}
	if other := e.trail(t, "other"); len(other) != 0 {
		t.Errorf("another tenant's trail: %+v", other)
	}
}

// savesLog records every export record saved, as it was then.
type savesLog struct {
	*storetest.Memory
	mu    sync.Mutex
	saved []integration.Export
}

func (s *savesLog) SaveExport(ctx context.Context, x *integration.Export) error {
	s.mu.Lock()
	s.saved = append(s.saved, *x)
	s.mu.Unlock()
	return s.Memory.SaveExport(ctx, x)
}

// A members export of 12,000: its progress saved as it is written, then
// done with a short link; the file has the mapped fields and the status
// dates, formula-safe, and nothing unmapped; the export is in the trail,
// readable by its tenant only, and gone after a day.
func TestAMembersExport(t *testing.T) {
	e := newEnv(t, staff())
	ctx := context.Background()
	e.call(t, "acme", http.MethodPut, "/integration/mapping", `{"uniqueKey":"EmployeeId","fields":{"email":"EmailId","firstName":"FirstName"}}`, http.StatusOK, nil)
	var ms []engine.Member
	for i := range 12_000 {
		m := storetest.NewMember(fmt.Sprintf("E%05d", i), fmt.Sprintf("e%d@acme.example", i))
		m.Values.Set(engine.JobTitle, "not mapped")
		ms = append(ms, m)
	}
	ms[0].Values.Set(engine.FirstName, "=HYPERLINK(\"http://evil\")")
	if _, err := e.store.Apply(ctx, "acme", "r1", storetest.Creates(ms...), nil); err != nil {
		t.Fatal(err)
	}
	e.sendWelcome(t, "E00000")
	e.clk.Add(time.Minute)

	rec := &savesLog{Memory: e.store}
	authn := func(r *http.Request) (auth.Principal, error) {
		return auth.Principal{TenantID: r.Header.Get("X-Tenant"), Email: "admin@" + r.Header.Get("X-Tenant") + ".example"}, nil
	}
	s, err := api.New(rec, peoplehr.New("https://peoplehr.invalid"), plainKeys{}, e.jobs, e.mail, links{}, authn, slog.New(slog.DiscardHandler), e.clk.Now, api.WithExports(e.exports))
	if err != nil {
		t.Fatal(err)
	}
	e.s = s

	var x exportView
	e.call(t, "acme", http.MethodPost, "/exports", `{"kind":"members"}`, http.StatusCreated, &x)
	if x.Status != integration.ExportDone || x.Rows != 12_000 || x.Total != 12_000 || x.RequestedBy != "admin@acme.example" ||
		!x.ExpiresAt.Equal(e.clk.Now().Add(24*time.Hour)) {
		t.Errorf("the export: %+v", x)
	}
	key := "exports/acme/" + x.ExportID + ".csv"
	if x.URL != "https://files.example/"+key+"?ttl=5m0s" {
		t.Errorf("the link %q", x.URL)
	}
	var progress []string
	for _, sv := range rec.saved {
		progress = append(progress, fmt.Sprintf("%s %d/%d", sv.Status, sv.Rows, sv.Total))
	}
	if want := []string{"running 0/0", "running 0/12000", "running 5000/12000", "running 10000/12000", "done 12000/12000"}; !slices.Equal(progress, want) {
		t.Errorf("saved progress %q, want %q", progress, want)
	}

	rows, err := csv.NewReader(bytes.NewReader(e.exports.get(key))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12_001 {
		t.Fatalf("%d rows", len(rows))
	}
	if want := []string{"employeeId", "email", "firstName", "status", "invited", "joined", "left", "purge"}; !slices.Equal(rows[0], want) {
		t.Errorf("header %q, want %q", rows[0], want)
	}
	if want := []string{"E00000", "e0@acme.example", "'=HYPERLINK(\"http://evil\")", "invited", e.clk.Now().Add(-time.Minute).Format(time.RFC3339), "", "", ""}; !slices.Equal(rows[1], want) {
		t.Errorf("first row %q, want %q", rows[1], want)
	}
	if strings.Contains(string(e.exports.get(key)), "not mapped") {
		t.Error("an unmapped field was exported")
	}

	var got exportView
	e.call(t, "acme", http.MethodGet, "/exports/"+x.ExportID, "", http.StatusOK, &got)
	if got.URL != x.URL || got.Rows != 12_000 {
		t.Errorf("read again: %+v", got)
	}
	e.call(t, "other", http.MethodGet, "/exports/"+x.ExportID, "", http.StatusNotFound, nil)
	if trail := e.trail(t, "acme"); trail[0].Action != integration.AuditExportRequested || !strings.Contains(trail[0].Detail, "members") || !strings.Contains(trail[0].Detail, x.ExportID) {
		t.Errorf("the trail's newest entry: %+v", trail[0])
	}
	e.clk.Add(24 * time.Hour)
	e.call(t, "acme", http.MethodGet, "/exports/"+x.ExportID, "", http.StatusNotFound, nil)
	var list struct{ Items []exportView }
	e.call(t, "acme", http.MethodGet, "/exports", "", http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Errorf("expired exports listed: %+v", list.Items)
	}
}

// The audit trail exports itself, newest first; a bad kind is refused; a
// server without export files says exports are off.
func TestTheAuditTrailExport(t *testing.T) {
	e := newEnv(t, staff())
	e.call(t, "acme", http.MethodPut, "/integration/settings", `{"timeOfDay":"03:00"}`, http.StatusOK, nil)
	e.clk.Add(time.Second)
	var x exportView
	e.call(t, "acme", http.MethodPost, "/exports", `{"kind":"audit"}`, http.StatusCreated, &x)
	body := string(e.exports.get("exports/acme/" + x.ExportID + ".csv"))
	want := "at,admin,action,detail\n" +
		"2026-03-10T09:00:01Z,admin@acme.example,export.requested,\"audit (CSV), export " + x.ExportID + "\"\n" +
		"2026-03-10T09:00:00Z,admin@acme.example,settings.saved,settings version 1\n"
	if body != want {
		t.Errorf("the trail's CSV:\n%s\nwant\n%s", body, want)
	}
	e.call(t, "acme", http.MethodPost, "/exports", `{"kind":"payroll"}`, http.StatusBadRequest, nil)
	var list struct{ Items []exportView }
	e.call(t, "acme", http.MethodGet, "/exports", "", http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].ExportID != x.ExportID {
		t.Errorf("exports listed: %+v", list.Items)
	}

	off, err := api.New(e.store, peoplehr.New("https://peoplehr.invalid"), plainKeys{}, e.jobs, e.mail, links{},
		func(*http.Request) (auth.Principal, error) {
			return auth.Principal{TenantID: "acme", Email: "a@acme.example"}, nil
		},
		slog.New(slog.DiscardHandler), e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	e.s = off
	e.call(t, "acme", http.MethodPost, "/exports", `{"kind":"members"}`, http.StatusServiceUnavailable, nil)
}

// A discarded held import is in the trail with its run; the refused
// second decision is not.
func TestTheAuditTrailRecordsADiscard(t *testing.T) {
	e := newEnv(t, staff())
	e.seedRuns(t)
	const held = "20260310T085000000000Z-bbbbbbbb"
	e.call(t, "acme", http.MethodPost, "/imports/"+held+"/discard", "", http.StatusOK, nil)
	e.call(t, "acme", http.MethodPost, "/imports/"+held+"/approve", "", http.StatusConflict, nil)
	got := e.trail(t, "acme")
	if len(got) != 1 || got[0].Action != integration.AuditHeldDiscarded || got[0].Detail != "held import "+held || got[0].Actor != "admin@acme.example" {
		t.Errorf("the trail: %+v", got)
	}
}

// The log of a period, as CSV (a row a field changed) and as JSON lines
// (a line a log line): only the runs queued in the period's days, in the
// tenant's zone, by run then member; bad periods and formats refused.
func TestALogExport(t *testing.T) {
	e := newEnv(t, staff())
	ctx := context.Background()
	e.call(t, "acme", http.MethodPut, "/integration/settings", `{"timeZone":"Europe/London"}`, http.StatusOK, nil)
	// Runs queued at 23:30 UTC on 8 and 9 March (London is on UTC) and
	// at 00:30 on 10 March.
	runs := []string{
		integration.NewRunID(time.Date(2026, 3, 8, 23, 30, 0, 0, time.UTC)),
		integration.NewRunID(time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC)),
		integration.NewRunID(time.Date(2026, 3, 10, 0, 30, 0, 0, time.UTC)),
	}
	var lines []integration.LogEntry
	for _, r := range runs {
		lines = append(lines,
			integration.LogEntry{EmployeeID: "E2", RunID: r, Action: "update", Reason: "changed in PeopleHR", At: e.clk.Now(),
				Changes: []integration.FieldChange{{Field: "jobTitle", Old: "Analyst", New: "=Lead"}, {Field: "department", Old: "", New: "Ops"}}},
			integration.LogEntry{EmployeeID: "E1", RunID: r, Action: "skip", Reason: "row 4: email is not valid", At: e.clk.Now()})
	}
	if err := e.store.SaveLog(ctx, "acme", lines); err != nil {
		t.Fatal(err)
	}
	e.clk.Add(time.Minute)

	var x exportView
	e.call(t, "acme", http.MethodPost, "/exports", `{"kind":"log","from":"2026-03-09","to":"2026-03-09"}`, http.StatusCreated, &x)
	if x.Format != integration.FormatCSV || x.From != "2026-03-09" || x.To != "2026-03-09" || x.Rows != 3 || x.Total != 3 {
		t.Errorf("the CSV export: %+v", x)
	}
	key := "exports/acme/" + x.ExportID + ".csv"
	want := "run,at,employee id,action,field,old,new,reason\n" +
		runs[1] + ",2026-03-10T09:00:00Z,E1,skip,,,,row 4: email is not valid\n" +
		runs[1] + ",2026-03-10T09:00:00Z,E2,update,jobTitle,Analyst,'=Lead,changed in PeopleHR\n" +
		runs[1] + ",2026-03-10T09:00:00Z,E2,update,department,,Ops,changed in PeopleHR\n"
	if got := string(e.exports.get(key)); got != want || !strings.HasPrefix(e.exports.types[key], "text/csv") {
		t.Errorf("the CSV (%s):\n%s\nwant\n%s", e.exports.types[key], got, want)
	}

	e.clk.Add(time.Second)
	e.call(t, "acme", http.MethodPost, "/exports", `{"kind":"log","from":"2026-03-09","to":"2026-03-10","format":"jsonl"}`, http.StatusCreated, &x)
	key = "exports/acme/" + x.ExportID + ".jsonl"
	var got []string
	dec := json.NewDecoder(bytes.NewReader(e.exports.get(key)))
	for dec.More() {
		var l integration.LogEntry
		if err := dec.Decode(&l); err != nil {
			t.Fatal(err)
		}
		got = append(got, l.RunID+" "+l.EmployeeID+" "+l.Action+" "+strconv.Itoa(len(l.Changes)))
	}
	if want := []string{runs[1] + " E1 skip 0", runs[1] + " E2 update 2", runs[2] + " E1 skip 0", runs[2] + " E2 update 2"}; !slices.Equal(got, want) ||
		x.Rows != 4 || !strings.HasPrefix(e.exports.types[key], "application/x-ndjson") || !strings.HasSuffix(x.URL, ".jsonl?ttl=5m0s") {
		t.Errorf("the JSON lines (%s, %d rows): %q, want %q", e.exports.types[key], x.Rows, got, want)
	}
	if trail := e.trail(t, "acme"); trail[0].Detail != "log (JSON lines) of 2026-03-09 to 2026-03-10, export "+x.ExportID {
		t.Errorf("the trail's entry: %q", trail[0].Detail)
	}

	for _, body := range []string{
		`{"kind":"log","from":"2026-03-10","to":"2026-03-09"}`,
		`{"kind":"log","from":"2026-03-10"}`,
		`{"kind":"log","from":"10/03/2026","to":"2026-03-10"}`,
		`{"kind":"log","from":"2025-01-01","to":"2026-03-10"}`,
		`{"kind":"members","format":"jsonl"}`,
		`{"kind":"members","from":"2026-03-10","to":"2026-03-10"}`,
		`{"kind":"log","from":"2026-03-10","to":"2026-03-10","format":"xml"}`,
	} {
		e.call(t, "acme", http.MethodPost, "/exports", body, http.StatusBadRequest, nil)
	}
}
