package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/peoplesync/peoplesync/internal/auth"
)

type claimsKey struct{}

// FromGatewayClaims authenticates with the claims API Gateway's JWT
// authorizer validated (issuer, audience, signature, expiry) and passed on.
// A request that did not come through the authorizer has none: 401.
func FromGatewayClaims(r *http.Request) (auth.Principal, error) {
	claims, _ := r.Context().Value(claimsKey{}).(map[string]string)
	return auth.FromClaims(claims)
}

// FromBearer authenticates by verifying the bearer token itself, where no
// gateway did (the local stack).
func FromBearer(v *auth.Verifier) Authenticator {
	return func(r *http.Request) (auth.Principal, error) {
		token, err := auth.Bearer(r)
		if err != nil {
			return auth.Principal{}, err
		}
		return v.Verify(r.Context(), token)
	}
}

// HandleGateway is the Lambda handler for API Gateway HTTP API (payload
// 2.0) events: the event becomes an http.Request for the same handler the
// local server runs.
func (s *Server) HandleGateway(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest}, nil
		}
	}
	target := ev.RawPath
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, claimsKey{}, claimsOf(ev)), ev.RequestContext.HTTP.Method, target, bytes.NewReader(body))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("build request: %w", err)
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	req.Header.Set("X-Request-Id", ev.RequestContext.RequestID)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	resp := events.APIGatewayV2HTTPResponse{StatusCode: rec.Code, Headers: map[string]string{}, Body: rec.Body.String()}
	for k, v := range rec.Header() {
		resp.Headers[k] = strings.Join(v, ", ")
	}
	return resp, nil
}

func claimsOf(ev events.APIGatewayV2HTTPRequest) map[string]string {
	if a := ev.RequestContext.Authorizer; a != nil && a.JWT != nil {
		return a.JWT.Claims
	}
	return nil
}
