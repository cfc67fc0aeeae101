package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func event(method, path, query, body string, b64 bool) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{RawPath: path, RawQueryString: query, Body: body, IsBase64Encoded: b64,
		Headers: map[string]string{"content-type": "application/json"}, Cookies: []string{"a=1", "b=2"}}
	ev.RequestContext.HTTP.Method, ev.RequestContext.RequestID = method, "gw-1"
	ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"scope": "x"}},
	}
	return ev
}

func TestRequest(t *testing.T) {
	req, err := Request(context.Background(), event(http.MethodPost, "/platform/tenants/acme/invitations/redeem", "a=1", "eyJ0b2tlbiI6InQifQ==", true))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	if req.Method != http.MethodPost || req.URL.Path != "/platform/tenants/acme/invitations/redeem" || req.URL.RawQuery != "a=1" ||
		string(body) != `{"token":"t"}` || req.Header.Get("Content-Type") != "application/json" ||
		req.Header.Get("Cookie") != "a=1; b=2" || req.Header.Get("X-Request-Id") != "gw-1" || Claims(req)["scope"] != "x" {
		t.Errorf("request %s %s %q %v claims %v", req.Method, req.URL, body, req.Header, Claims(req))
	}
	if Claims(httptest.NewRequest(http.MethodGet, "/", nil)) != nil {
		t.Error("claims on a request that came through no authorizer")
	}
	for _, ev := range []events.APIGatewayV2HTTPRequest{event(http.MethodGet, "/", "", "%%%", true), event("BAD METHOD", "/", "", "", false)} {
		var bad *BadEvent
		if _, err := Request(context.Background(), ev); !errors.As(err, &bad) || bad.Message == "" {
			t.Errorf("event %+v: %v, want a *BadEvent", ev.RequestContext.HTTP, err)
		}
	}
}

func TestResponse(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Add("Vary", "Origin")
	rec.Header().Add("Vary", "Accept")
	rec.WriteHeader(http.StatusGone)
	_, _ = rec.WriteString("gone")
	resp := Response(rec)
	if resp.StatusCode != http.StatusGone || resp.Body != "gone" || resp.Headers["Vary"] != "Origin, Accept" {
		t.Errorf("response %+v", resp)
	}
}
