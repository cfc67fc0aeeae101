package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/api"
	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

// importNow is one "Import data now" as tenant acme's admin.
func (e *env) importNow() (*httptest.ResponseRecorder, runView) {
	req := httptest.NewRequest(http.MethodPost, "/imports", nil)
	req.Header.Set("X-Tenant", "acme")
	rec := httptest.NewRecorder()
	e.s.ServeHTTP(rec, req)
	var run runView
	_ = json.Unmarshal(rec.Body.Bytes(), &run)
	return rec, run
}

// finish ends a run as the worker would.
func (e *env) finish(t *testing.T, runID string) {
	t.Helper()
	run, err := e.store.GetRun(context.Background(), "acme", runID)
	if err != nil {
		t.Fatal(err)
	}
	run.Status, run.FinishedAt = integration.StatusSucceeded, e.clk.Now()
	if err := e.store.SaveRun(context.Background(), run); err != nil {
		t.Fatal(err)
	}
}

// meetingStore makes parallel callers read the run history together: each
// read is answered only once the others have read too (or after a second),
// so every caller sees no run queued yet, the moment a check that is not
// atomic lets them all start one.
type meetingStore struct {
	*storetest.Memory
	n       int
	mu      sync.Mutex
	waiting int
	met     chan struct{}
}

func (m *meetingStore) ListRuns(ctx context.Context, tenant, cursor string, limit int) ([]*integration.Run, string, error) {
	runs, next, err := m.Memory.ListRuns(ctx, tenant, cursor, limit)
	m.mu.Lock()
	if m.met == nil {
		m.met = make(chan struct{})
	}
	met := m.met
	if m.waiting++; m.waiting == m.n {
		close(met)
		m.met, m.waiting = nil, 0
	}
	m.mu.Unlock()
	select {
	case <-met:
	case <-time.After(time.Second):
	}
	return runs, next, err
}

// Ten "Import data now" at once start one run, queue one job, and every
// other caller is answered with that run: parallel clicks cannot send the
// recipients ten summaries.
func TestImportNowAtOnceStartsOneRun(t *testing.T) {
	e := newEnv(t, staff())
	e.call(t, "acme", http.MethodPost, "/integration/authorization", `{"apiKey":"`+peoplehrtest.DefaultAPIKey+`"}`, http.StatusOK, nil)
	const callers = 10
	authn := func(*http.Request) (auth.Principal, error) {
		return auth.Principal{TenantID: "acme", Email: "admin@acme.example"}, nil
	}
	// Import now never calls PeopleHR.
	s, err := api.New(&meetingStore{Memory: e.store, n: callers}, peoplehr.New("https://peoplehr.invalid"), plainKeys{}, e.jobs, e.mail, e.links, authn, slog.New(slog.DiscardHandler), e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	codes, ids := make([]int, callers), make([]string, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			rec, run := e.importNow()
			codes[i], ids[i] = rec.Code, run.RunID
		})
	}
	close(start)
	wg.Wait()
	runs, _, err := e.store.ListRuns(context.Background(), "acme", "", 20)
	if err != nil || len(runs) != 1 || len(e.jobs.sent) != 1 {
		t.Fatalf("%d runs (%v) and %d jobs, want one of each", len(runs), err, len(e.jobs.sent))
	}
	accepted := 0
	for i := range callers {
		if codes[i] == http.StatusAccepted {
			accepted++
		}
		if codes[i] != http.StatusAccepted && codes[i] != http.StatusOK || ids[i] != runs[0].RunID {
			t.Errorf("caller %d: %d with run %q, want 202 or 200 with %s", i, codes[i], ids[i], runs[0].RunID)
		}
	}
	if accepted != 1 {
		t.Errorf("%d callers were told they started the run, want 1", accepted)
	}
}

// At most six manual imports an hour: the seventh is 429 with the seconds
// until the oldest of the six leaves the hour, and passes then. A run still
// queued is answered with, limit or not.
func TestImportNowIsLimitedPerHour(t *testing.T) {
	e := newEnv(t, staff())
	e.call(t, "acme", http.MethodPost, "/integration/authorization", `{"apiKey":"`+peoplehrtest.DefaultAPIKey+`"}`, http.StatusOK, nil)
	first := e.clk.Now()
	var last string
	for i := range 6 {
		rec, run := e.importNow()
		if rec.Code != http.StatusAccepted {
			t.Fatalf("import %d: %d %s", i+1, rec.Code, rec.Body)
		}
		last = run.RunID
		if i < 5 {
			e.finish(t, last)
			e.clk.Add(5 * time.Minute)
		}
	}
	if rec, run := e.importNow(); rec.Code != http.StatusOK || run.RunID != last {
		t.Fatalf("with the sixth still queued: %d %s, want 200 with it", rec.Code, rec.Body)
	}
	e.finish(t, last)
	tests := []struct {
		at         time.Time
		code       int
		retryAfter string
	}{
		{first.Add(30 * time.Minute), http.StatusTooManyRequests, strconv.Itoa(30 * 60)},
		{first.Add(time.Hour - time.Second), http.StatusTooManyRequests, "1"},
		{first.Add(time.Hour), http.StatusAccepted, ""},
	}
	for _, tt := range tests {
		e.clk.Add(tt.at.Sub(e.clk.Now()))
		rec, _ := e.importNow()
		if rec.Code != tt.code || rec.Header().Get("Retry-After") != tt.retryAfter {
			t.Errorf("at +%s: %d (Retry-After %q) %s, want %d (Retry-After %q)", tt.at.Sub(first), rec.Code, rec.Header().Get("Retry-After"), rec.Body, tt.code, tt.retryAfter)
		}
	}
	if len(e.jobs.sent) != 7 {
		t.Errorf("%d jobs queued, want 7", len(e.jobs.sent))
	}
}
