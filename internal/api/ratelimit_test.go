package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/ratelimit"
)

// One tenant's burst is answered 429 rate_limited with Retry-After while
// another tenant's requests, and the first tenant's writes, still go
// through; the bucket refills on the clock.
func TestOneTenantsBurstDoesNotStarveAnother(t *testing.T) {
	type step struct {
		tenant, method string
		advance        time.Duration // the clock moves before the request
		want           int
		retryAfter     string
	}
	const get, put = http.MethodGet, http.MethodPut
	tests := []struct {
		name  string
		steps []step
	}{
		{"a burst, then the neighbour", []step{
			{"noisy", get, 0, 200, ""}, {"noisy", get, 0, 200, ""}, {"noisy", get, 0, 200, ""},
			{"noisy", get, 0, 429, "1"}, {"noisy", get, 0, 429, "1"},
			{"quiet", get, 0, 200, ""}, {"quiet", get, 0, 200, ""},
		}},
		{"reads and writes have their own buckets", []step{
			{"noisy", get, 0, 200, ""}, {"noisy", get, 0, 200, ""}, {"noisy", get, 0, 200, ""},
			{"noisy", get, 0, 429, "1"},
			{"noisy", put, 0, 200, ""},
			{"noisy", put, 0, 429, "1"},
		}},
		{"the bucket refills on the clock", []step{
			{"noisy", get, 0, 200, ""}, {"noisy", get, 0, 200, ""}, {"noisy", get, 0, 200, ""},
			{"noisy", get, 999 * time.Millisecond, 429, "1"},
			{"noisy", get, time.Millisecond, 200, ""},
			{"noisy", get, 0, 429, "1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := storetest.NewClock(storetest.Start)
			store := storetest.NewMemory(clk.Now)
			for _, tenant := range []string{"noisy", "quiet"} {
				in := &integration.Integration{TenantID: tenant, Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping()}
				if err := store.PutIntegration(context.Background(), in); err != nil {
					t.Fatal(err)
				}
			}
			var logs bytes.Buffer
			limits := Limits{Read: ratelimit.Limit{Name: "read", Rate: 1, Burst: 3}, Write: ratelimit.Limit{Name: "write", Rate: 1, Burst: 1}}
			s := limitedServer(t, store, limits, &logs, clk.Now)
			throttled := 0
			for i, st := range tt.steps {
				clk.Add(st.advance)
				w := serve(s, st.method, st.tenant)
				if w.Code != st.want || w.Header().Get("Retry-After") != st.retryAfter {
					t.Fatalf("step %d (%s %s): %d Retry-After %q, want %d %q: %s", i, st.tenant, st.method, w.Code, w.Header().Get("Retry-After"), st.want, st.retryAfter, w.Body)
				}
				if w.Code == http.StatusTooManyRequests {
					throttled++
					var body struct{ Error Error }
					if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "rate_limited" {
						t.Fatalf("step %d: envelope %s (%v)", i, w.Body, err)
					}
				}
			}
			if n := strings.Count(logs.String(), `"msg":"tenant throttled"`); n != throttled {
				t.Errorf("%d throttled lines for %d 429s:\n%s", n, throttled, logs.String())
			}
		})
	}
}

type brokenBuckets struct{}

func (brokenBuckets) TakeToken(context.Context, string, ratelimit.Limit) (time.Duration, error) {
	return 0, errors.New("table unavailable")
}

// When the buckets cannot be read the request goes through (fail open)
// and the error is logged for the API's error alarm.
func TestRateLimitFailsOpen(t *testing.T) {
	store := storetest.NewMemory(time.Now)
	in := &integration.Integration{TenantID: "noisy", Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping()}
	if err := store.PutIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s, err := New(store, struct{ Feed }{}, &plainKeys{}, acceptedJobs{}, struct{ Mail }{}, struct{ Links }{}, headerTenant, slog.New(slog.NewJSONHandler(&logs, nil)), time.Now, WithRateLimits(brokenBuckets{}, DefaultLimits))
	if err != nil {
		t.Fatal(err)
	}
	if w := serve(s, http.MethodGet, "noisy"); w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR","msg":"rate limit unavailable: request let through"`) {
		t.Errorf("no error line:\n%s", logs.String())
	}
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		in      string
		want    Limits
		wantErr bool
	}{
		{"read=5/20 write=1/10", DefaultLimits, false},
		{"write=1/10 read=5/20", DefaultLimits, false},
		{"read=5/20", Limits{}, true},
		{"read=5/20 read=5/20 write=1/10", Limits{}, true},
		{"read=5/20 write=0/10", Limits{}, true},
		{"read=5/20 write=1", Limits{}, true},
		{"read=5/20 write=1/10 other=1/1", Limits{}, true},
		{"read=5/20 write=1/10 hooks=2/3", Limits{Read: DefaultLimits.Read, Write: DefaultLimits.Write,
			Hooks: ratelimit.Limit{Name: "hooks", Rate: 2, Burst: 3}}, false},
		{"", Limits{}, true},
	}
	for _, tt := range tests {
		got, err := ParseLimits(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseLimits(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// headerTenant takes the caller's tenant from X-Tenant: the tests' token.
func headerTenant(r *http.Request) (auth.Principal, error) {
	return auth.Principal{TenantID: r.Header.Get("X-Tenant"), Email: "admin@example.com"}, nil
}

func limitedServer(t *testing.T, store *storetest.Memory, l Limits, logs *bytes.Buffer, now func() time.Time) *Server {
	t.Helper()
	s, err := New(store, struct{ Feed }{}, &plainKeys{}, acceptedJobs{}, struct{ Mail }{}, struct{ Links }{}, headerTenant, slog.New(slog.NewJSONHandler(logs, nil)), now, WithRateLimits(store, l))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serve sends GET /integration, or a PUT of the settings that changes none.
func serve(s *Server, method, tenant string) *httptest.ResponseRecorder {
	path, body := "/integration", ""
	if method == http.MethodPut {
		path, body = "/integration/settings", `{}`
	}
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("X-Tenant", tenant)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}
