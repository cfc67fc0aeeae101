package api

import (
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
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

// plainKeys "seals" a key by keeping it, so the test can see what would
// be stored.
type plainKeys struct{ sealed []string }

func (k *plainKeys) Seal(_ context.Context, _, apiKey string) ([]byte, error) {
	k.sealed = append(k.sealed, apiKey)
	return []byte(apiKey), nil
}

func (k *plainKeys) Open(_ context.Context, _ string, sealed []byte) (string, error) {
	return string(sealed), nil
}

// The key check normalises a pasted key before PeopleHR sees it, and the
// sandbox, like PeopleHR, knows only the bare key: a key accepted here was
// normalised on our side. A rate limit is told apart from a bad key.
func TestAuthorizeKey(t *testing.T) {
	const key = peoplehrtest.DefaultAPIKey
	tests := []struct {
		name         string
		apiKey       string
		fault        peoplehrtest.Fault
		status       int
		code         string
		retryAfter   string
		wantRequests int
	}{
		{"bare key", key, peoplehrtest.Fault{}, http.StatusOK, "", "", 1},
		{"key in braces", "{" + key + "}", peoplehrtest.Fault{}, http.StatusOK, "", "", 1},
		{"braces and spaces", "  {" + key + "}  ", peoplehrtest.Fault{}, http.StatusOK, "", "", 1},
		{"spaces", " " + key + " ", peoplehrtest.Fault{}, http.StatusOK, "", "", 1},
		{"byte-order mark and zero-width space", "\uFEFF" + key + "\u200B", peoplehrtest.Fault{}, http.StatusOK, "", "", 1},
		{"unbalanced brace", "{" + key, peoplehrtest.Fault{}, http.StatusBadRequest, "validation_failed", "", 0},
		{"unknown key in braces", "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}", peoplehrtest.Fault{}, http.StatusUnprocessableEntity, "invalid_key", "", 1},
		// A minute's wait does not fit the check's budget: no wait at all.
		{"in-band rate limit", key, peoplehrtest.Fault{Kind: peoplehrtest.FaultRateLimited}, http.StatusTooManyRequests, "rate_limited", "60", 1},
		{"HTTP 429 through every wait", key, peoplehrtest.Fault{Kind: peoplehrtest.FaultThrottle, Times: 10}, http.StatusTooManyRequests, "rate_limited", "60", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := peoplehrtest.New(peoplehrtest.Options{Employees: peoplehrtest.DemoEmployees()})
			t.Cleanup(sb.Close)
			if tt.fault.Kind != 0 {
				sb.InjectFault(tt.fault)
			}
			feed := peoplehr.New(sb.URL(), peoplehr.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
			store, keys := storetest.NewMemory(time.Now), &plainKeys{}
			authn := func(*http.Request) (auth.Principal, error) {
				return auth.Principal{TenantID: "acme", Email: "admin@acme.example"}, nil
			}
			s, err := New(store, feed, keys, struct{ Jobs }{}, struct{ Mail }{}, struct{ Links }{}, authn, slog.New(slog.DiscardHandler), time.Now)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(map[string]string{"apiKey": tt.apiKey})
			req := httptest.NewRequest(http.MethodPost, "/integration/authorization", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)

			if rec.Code != tt.status || rec.Header().Get("Retry-After") != tt.retryAfter {
				t.Fatalf("%d (Retry-After %q) %s, want %d (Retry-After %q)", rec.Code, rec.Header().Get("Retry-After"), rec.Body, tt.status, tt.retryAfter)
			}
			if sb.Requests() != tt.wantRequests {
				t.Errorf("%d requests reached PeopleHR, want %d", sb.Requests(), tt.wantRequests)
			}
			if tt.status != http.StatusOK {
				var got struct{ Error Error }
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Error.Code != tt.code {
					t.Errorf("error %s, want code %q", rec.Body, tt.code)
				}
				if tt.code == "rate_limited" && got.Error.Message != "PeopleHR is limiting API calls for your company right now. Try again in a minute." {
					t.Errorf("message %q does not say to try again", got.Error.Message)
				}
				if _, err := store.GetIntegration(context.Background(), "acme"); len(keys.sealed) != 0 || !errors.Is(err, integration.ErrNotFound) {
					t.Errorf("a refused key was stored: %q", keys.sealed)
				}
				return
			}
			in, err := store.GetIntegration(context.Background(), "acme")
			if err != nil || len(keys.sealed) != 1 || keys.sealed[0] != key || in.Key.Last4 != key[len(key)-4:] {
				t.Errorf("sealed %q (stored %+v, %v), want the bare key", keys.sealed, in, err)
			}
		})
	}
}

// TestPeopleHRWordsAreLoggedNotShown: an unrecognised refusal from PeopleHR
// (or whatever answers at its address) reaches the admin in our words; its
// text, which could be a phishing line, goes only to the log, quoted.
func TestPeopleHRWordsAreLoggedNotShown(t *testing.T) {
	const theirs = "Your key expired: paste it at https://evil.example/renew"
	tests := []struct {
		name string
		body string
	}{
		{"in-band status", `{"isError":true,"Status":4,"Message":"` + theirs + `","Result":null}`},
		{"in-band status 0", `{"isError":true,"Status":0,"Message":"` + theirs + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			var logs strings.Builder
			authn := func(*http.Request) (auth.Principal, error) {
				return auth.Principal{TenantID: "acme", Email: "admin@acme.example"}, nil
			}
			s, err := New(storetest.NewMemory(time.Now), peoplehr.New(srv.URL), &plainKeys{}, struct{ Jobs }{}, struct{ Mail }{}, struct{ Links }{}, authn, slog.New(slog.NewJSONHandler(&logs, nil)), time.Now)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodPost, "/integration/authorization", strings.NewReader(`{"apiKey":"`+peoplehrtest.DefaultAPIKey+`"}`))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)

			var got struct{ Error Error }
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusBadGateway || got.Error.Code != "peoplehr_error" {
				t.Fatalf("%d %s, want 502 peoplehr_error", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "evil.example") {
				t.Errorf("PeopleHR's words reached the admin: %s", rec.Body)
			}
			if !strings.Contains(logs.String(), "evil.example") || strings.Contains(logs.String(), peoplehrtest.DefaultAPIKey) {
				t.Errorf("the log should keep PeopleHR's words and never the key: %s", logs.String())
			}
		})
	}
}
