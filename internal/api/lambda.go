package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/aws/aws-lambda-go/events"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/gateway"
)

// FromGatewayClaims authenticates with the claims API Gateway's JWT
// authorizer validated (issuer, audience, signature, expiry) and passed on,
// checking what the authorizer cannot: the token's lifetime. A request that
// did not come through the authorizer has none: 401.
func FromGatewayClaims(r *http.Request) (auth.Principal, error) {
	return auth.FromGatewayClaims(gateway.Claims(r))
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
	if req, err := gateway.Request(ctx, ev); err != nil {
		var bad *gateway.BadEvent
		errors.As(err, &bad)
		s.refuse(ctx, rec, ev.RequestContext.RequestID, fmt.Errorf("%w: %w", invalid(bad.Message), err))
	} else {
		s.ServeHTTP(rec, req)
	}
	return gateway.Response(rec), nil
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
