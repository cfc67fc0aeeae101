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
// authorizer validated (issuer, audience, signature, expiry) and passed on,
// checking what the authorizer cannot: the token's lifetime. A request that
// did not come through the authorizer has none: 401.
func FromGatewayClaims(r *http.Request) (auth.Principal, error) {
	claims, _ := r.Context().Value(claimsKey{}).(map[string]string)
	return auth.FromGatewayClaims(claims)
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
// local server runs. It always answers, in the error envelope when the
// event makes no request, and never returns an error: Lambda would turn one
// into a bare 500 without the request id.
func (s *Server) HandleGateway(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	rec := httptest.NewRecorder()
	if req, err := gatewayRequest(ctx, ev); err != nil {
		s.refuse(ctx, rec, ev.RequestContext.RequestID, err)
	} else {
		s.ServeHTTP(rec, req)
	}
	resp := events.APIGatewayV2HTTPResponse{StatusCode: rec.Code, Headers: map[string]string{}, Body: rec.Body.String()}
	for k, v := range rec.Header() {
		resp.Headers[k] = strings.Join(v, ", ")
	}
	return resp, nil
}

// gatewayRequest is the request an event stands for. Its errors hold the
// *Error (a 400) to answer with.
func gatewayRequest(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, fmt.Errorf("%w: decode the body: %w", invalid("The body is not valid base64."), err)
		}
	}
	target := ev.RawPath
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, claimsKey{}, claimsOf(ev)), ev.RequestContext.HTTP.Method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: build the request: %w", invalid("The request's method or path cannot be read."), err)
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	req.Header.Set("X-Request-Id", ev.RequestContext.RequestID)
	return req, nil
}

// refuse answers an event that makes no request as ServeHTTP answers a bad
// request: framed with the gateway's request id, in the error envelope.
// It is logged, as a warning: API Gateway passes on what a client sent,
// so it is the client's fault, but one worth seeing.
func (s *Server) refuse(ctx context.Context, w http.ResponseWriter, gatewayID string, err error) {
	standIn := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	standIn.Header.Set("X-Request-Id", gatewayID)
	s.frame(w, standIn, func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("gateway event refused", "requestId", requestID(r), "error", err)
		s.writeError(w, r, err)
	})
}

func claimsOf(ev events.APIGatewayV2HTTPRequest) map[string]string {
	if a := ev.RequestContext.Authorizer; a != nil && a.JWT != nil {
		return a.JWT.Claims
	}
	return nil
}
