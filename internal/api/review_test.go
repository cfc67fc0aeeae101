package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

// The review's dry run goes through the run's own pipeline: stored settings
// or a mapping that fail their checks are a 400 naming the fields, before
// PeopleHR is called, never a nil planner and a 500.
func TestReviewRefusesInvalidStoredSetup(t *testing.T) {
	tests := []struct {
		name   string
		change func(*integration.Integration)
		field  string
	}{
		{"a threshold the engine refuses", func(in *integration.Integration) { in.Settings.MassChangeThresholdPercent = 0 }, "massChangeThresholdPercent"},
		{"an unknown date format", func(in *integration.Integration) { in.Settings.DateFormat = "dd.MM.yy" }, "dateFormat"},
		{"a mapping without email", func(in *integration.Integration) { delete(in.Mapping.Fields, "email") }, "fields.email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := peoplehrtest.New(peoplehrtest.Options{Employees: peoplehrtest.DemoEmployees()})
			t.Cleanup(sb.Close)
			in := &integration.Integration{TenantID: "acme", Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(),
				Key: &integration.SealedKey{Ciphertext: []byte(peoplehrtest.DefaultAPIKey), Last4: "950e"}}
			tt.change(in)
			authn := func(*http.Request) (auth.Principal, error) {
				return auth.Principal{TenantID: "acme", Email: "admin@acme.example"}, nil
			}
			store := storetest.NewMemory(time.Now)
			if err := store.PutIntegration(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			s, err := New(store, peoplehr.New(sb.URL()), &plainKeys{}, struct{ Jobs }{}, struct{ Mail }{}, struct{ Links }{}, authn, slog.New(slog.DiscardHandler), time.Now)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/integration/review", nil))
			var got struct{ Error Error }
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusBadRequest ||
				len(got.Error.Details) == 0 || got.Error.Details[0].Field != tt.field {
				t.Fatalf("%d %s, want 400 naming %s", rec.Code, rec.Body, tt.field)
			}
			if sb.Requests() != 0 {
				t.Errorf("PeopleHR was called %d times", sb.Requests())
			}
		})
	}
}
