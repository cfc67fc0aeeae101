package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// gatewayEvent is an HTTP API event as API Gateway sends one, with the
// claims its JWT authorizer validated.
func gatewayEvent(method, path, body string, edit func(*events.APIGatewayV2HTTPRequest)) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		RawPath: path, Body: body, Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "gw-request-1",
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
					Claims: map[string]string{auth.ClaimTenant: "acme", auth.ClaimEmail: "admin@acme.example", "iat": "1773133200", "exp": "1773140400"},
				},
			},
		},
	}
	if edit != nil {
		edit(&ev)
	}
	return ev
}

// Whatever the event, the adapter answers (never a Lambda error, which API
// Gateway would turn into a bare 500), and every error in the API's
// envelope with the gateway's request id: a body that is not base64, an
// event that makes no request, a panic, as well as the routes' own errors.
func TestGatewayAnswersEveryErrorInTheEnvelope(t *testing.T) {
	base64Body := func(ev *events.APIGatewayV2HTTPRequest) {
		ev.IsBase64Encoded = true
		ev.Body = base64.StdEncoding.EncodeToString([]byte(ev.Body))
	}
	tests := []struct {
		name   string
		ev     events.APIGatewayV2HTTPRequest
		status int
		code   string // "" for a success
		logged string // the levels of the request's log lines
	}{
		{"a base64 body", gatewayEvent("PUT", "/integration/settings", `{"timeOfDay":"03:15"}`, base64Body), 200, "", ""},
		{"a body that is not base64", gatewayEvent("PUT", "/integration/settings", "{not base64}", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.IsBase64Encoded = true
		}), 400, "validation_failed", "WARN"},
		{"a method that is not one", gatewayEvent("GE T", "/integration", "", nil), 400, "validation_failed", "WARN"},
		{"a path with a bad escape", gatewayEvent("GET", "/members/%zz", "", nil), 400, "validation_failed", "WARN"},
		{"a path with a control character", gatewayEvent("GET", "/members/a\x00b", "", nil), 400, "validation_failed", "WARN"},
		{"no request id from the gateway", gatewayEvent("GE T", "/integration", "", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RequestContext.RequestID = ""
		}), 400, "validation_failed", "WARN"},
		{"a panic in the handler", gatewayEvent("GET", "/integration", "", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Headers["x-test-panic"] = "1"
		}), 500, "internal", "ERROR"},
		{"no authorizer claims", gatewayEvent("GET", "/integration", "", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RequestContext.Authorizer = nil
		}), 401, "unauthenticated", "WARN"},
		{"claims of a token valid for a century", gatewayEvent("GET", "/integration", "", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RequestContext.Authorizer.JWT.Claims["exp"] = "4928806800"
		}), 401, "unauthenticated", "WARN"},
		{"a route that is not one", gatewayEvent("GET", "/nothing-here", "", nil), 404, "not_found", ""},
		{"a settings save the API refuses", gatewayEvent("PUT", "/integration/settings", `{"timeOfDay":"25:00"}`, nil), 400, "validation_failed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			authn := func(r *http.Request) (auth.Principal, error) {
				if r.Header.Get("X-Test-Panic") != "" {
					panic("a bug")
				}
				return FromGatewayClaims(r)
			}
			store := seeded(t, integration.Integration{TenantID: "acme", Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(), Version: 1})
			s, err := New(store, struct{ Feed }{}, &plainKeys{}, acceptedJobs{}, struct{ Mail }{}, struct{ Links }{}, authn, log, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := s.HandleGateway(context.Background(), tt.ev)
			if err != nil {
				t.Fatalf("a Lambda error: %v", err)
			}
			if resp.StatusCode != tt.status || resp.Headers["Content-Type"] != "application/json" || resp.Headers["Cache-Control"] != "no-store" {
				t.Fatalf("%d %v %s, want %d in JSON", resp.StatusCode, resp.Headers, resp.Body, tt.status)
			}
			id := resp.Headers["X-Request-Id"]
			if want := tt.ev.RequestContext.RequestID; want != "" && id != want || id == "" {
				t.Errorf("X-Request-Id %q, want the gateway's %q", id, want)
			}
			if tt.code == "" {
				if got := stored(t, store); got.Settings.TimeOfDay != "03:15" {
					t.Errorf("the body was not saved: %+v", got.Settings)
				}
				return
			}
			var envelope struct {
				Error struct {
					Code    string         `json:"code"`
					Message string         `json:"message"`
					Details []FieldProblem `json:"details"`
				} `json:"error"`
				RequestID string `json:"requestId"`
			}
			dec := json.NewDecoder(strings.NewReader(resp.Body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&envelope); err != nil || envelope.Error.Code != tt.code || envelope.Error.Message == "" || envelope.RequestID != id {
				t.Errorf("body %s (%v), want code %q and request id %q", resp.Body, err, tt.code, id)
			}
			if got := loggedLevels(t, &logs, id); got != tt.logged {
				t.Errorf("logged %q for request %s, want %q:\n%s", got, id, tt.logged, &logs)
			}
		})
	}
}

// loggedLevels are the levels of a request's log lines, in order.
func loggedLevels(t *testing.T, logs *bytes.Buffer, requestID string) string {
	t.Helper()
	var levels []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var rec struct {
			Level     string `json:"level"`
			RequestID string `json:"requestId"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec.RequestID == requestID {
			levels = append(levels, rec.Level)
		}
	}
	return strings.Join(levels, ",")
}

// A refused token's reason is for the log: the answer says the same words
// whatever check failed.
func TestRefusedTokenReasonIsLoggedNotShown(t *testing.T) {
	for reason, edit := range map[string]func(claims map[string]string){
		"valid for over": func(c map[string]string) { c["exp"] = "4928806800" },
		"missing iat":    func(c map[string]string) { delete(c, "iat") },
	} {
		t.Run(reason, func(t *testing.T) {
			var logs bytes.Buffer
			store := seeded(t, integration.Integration{TenantID: "acme", Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(), Version: 1})
			s, err := New(store, struct{ Feed }{}, &plainKeys{}, acceptedJobs{}, struct{ Mail }{}, struct{ Links }{}, FromGatewayClaims, slog.New(slog.NewJSONHandler(&logs, nil)), time.Now)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := s.HandleGateway(context.Background(), gatewayEvent("GET", "/integration", "", func(ev *events.APIGatewayV2HTTPRequest) {
				edit(ev.RequestContext.Authorizer.JWT.Claims)
			}))
			if err != nil || resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%d %v, want 401", resp.StatusCode, err)
			}
			if strings.Contains(resp.Body, reason) || !strings.Contains(resp.Body, "Sign in again") {
				t.Errorf("answer %s, want our words without the reason", resp.Body)
			}
			if !strings.Contains(logs.String(), reason) {
				t.Errorf("the log does not say why (%q):\n%s", reason, &logs)
			}
		})
	}
}
