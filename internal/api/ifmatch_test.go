package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// seeded is the in-memory store holding in at in.Version, as if saved
// that many times.
func seeded(t *testing.T, in integration.Integration) *storetest.Memory {
	t.Helper()
	store := storetest.NewMemory(time.Now)
	in.Version-- // a save moves the version on
	if err := store.PutIntegration(context.Background(), &in); err != nil {
		t.Fatal(err)
	}
	return store
}

// stored is what the store holds for the test's tenant.
func stored(t *testing.T, store *storetest.Memory) *integration.Integration {
	t.Helper()
	in, err := store.GetIntegration(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	return in
}

type acceptedJobs struct{}

func (acceptedJobs) Send(context.Context, ...integration.Job) error { return nil }

// Every save of the integration, pause and revoke among them, honours
// If-Match: the version the caller read saves; any other is refused with
// 409 conflict and changes nothing (publish queues no import either).
// Without If-Match, or with *, the save goes on the stored version.
func TestSavesHonourIfMatch(t *testing.T) {
	const version = 7
	routes := []struct {
		method, path, body string
	}{
		{http.MethodPut, "/integration/settings", `{"timeOfDay":"03:15"}`},
		{http.MethodPut, "/integration/mapping", `{"uniqueKey":"EmployeeId","fields":{"email":"EmailId","firstName":"FirstName"}}`},
		{http.MethodPost, "/integration/publish", ""},
		{http.MethodPost, "/integration/unpublish", ""},
		{http.MethodDelete, "/integration/authorization", ""},
	}
	matches := []struct {
		name, ifMatch string
		saved         bool
	}{
		{"the version read", `"7"`, true},
		{"the version read, unquoted", `7`, true},
		{"any version", `*`, true},
		{"no If-Match", ``, true},
		{"an older version", `"6"`, false},
		{"a newer version", `"8"`, false},
		{"not a version", `"seven"`, false},
	}
	authn := func(*http.Request) (auth.Principal, error) {
		return auth.Principal{TenantID: "acme", Email: "admin@acme.example"}, nil
	}
	for _, rt := range routes {
		for _, m := range matches {
			t.Run(rt.method+" "+rt.path+"/"+m.name, func(t *testing.T) {
				before := integration.Integration{
					TenantID: "acme", Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(),
					Key:       &integration.SealedKey{Ciphertext: []byte("sealed"), Last4: "950e"},
					Published: rt.path == "/integration/unpublish", State: integration.StateDraft, Version: version,
				}
				if before.Published {
					before.State = integration.StateLive
				}
				store := seeded(t, before)
				s, err := New(store, struct{ Feed }{}, &plainKeys{}, acceptedJobs{}, struct{ Mail }{}, struct{ Links }{}, authn, slog.New(slog.DiscardHandler), time.Now)
				if err != nil {
					t.Fatal(err)
				}
				req := httptest.NewRequestWithContext(context.Background(), rt.method, rt.path, strings.NewReader(rt.body))
				if rt.body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				if m.ifMatch != "" {
					req.Header.Set("If-Match", m.ifMatch)
				}
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)

				if m.saved {
					if got := stored(t, store); rec.Code != http.StatusOK || got.Version != version+1 || rec.Header().Get("ETag") != `"8"` {
						t.Fatalf("%d (ETag %s, stored version %d) %s, want 200 saving version 8", rec.Code, rec.Header().Get("ETag"), got.Version, rec.Body)
					}
					return
				}
				var got struct{ Error Error }
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusConflict || got.Error.Code != "conflict" {
					t.Fatalf("%d %s, want 409 conflict", rec.Code, rec.Body)
				}
				after := stored(t, store)
				runs, _, err := store.ListRuns(context.Background(), "acme", "", 10)
				if err != nil {
					t.Fatal(err)
				}
				if after.Version != before.Version || after.Published != before.Published || after.State != before.State ||
					!reflect.DeepEqual(after.Settings, before.Settings) || !reflect.DeepEqual(after.Mapping, before.Mapping) ||
					!reflect.DeepEqual(after.Key, before.Key) || len(runs) != 0 {
					t.Errorf("a refused save changed the integration or queued %d runs:\n%+v\nwas\n%+v", len(runs), after, before)
				}
			})
		}
	}
}
