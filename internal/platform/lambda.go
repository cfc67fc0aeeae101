package platform

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"

	"github.com/aws/aws-lambda-go/events"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/gateway"
	"github.com/peoplesync/peoplesync/internal/logging"
)

// FromGatewayClaims authenticates with the claims API Gateway's JWT
// authorizer for the platform audience validated and passed on; the route's
// scope the authorizer checked too, and guard checks again. The token's
// lifetime and the absence of admin claims are checked here.
func FromGatewayClaims(r *http.Request) (auth.Machine, error) {
	return auth.MachineFromGatewayClaims(gateway.Claims(r))
}

// FromBearer verifies the bearer token itself, where no gateway did (the
// local stack); v verifies for the platform audience.
func FromBearer(v *auth.Verifier) Authenticator {
	return func(r *http.Request) (auth.Machine, error) {
		token, err := auth.Bearer(r)
		if err != nil {
			return auth.Machine{}, err
		}
		return v.VerifyMachine(r.Context(), token)
	}
}

// HandleGateway is the Lambda handler for the platform routes' events.
func (s *Server) HandleGateway(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	rec := httptest.NewRecorder()
	req, err := gateway.Request(ctx, ev)
	if err != nil {
		var bad *gateway.BadEvent
		errors.As(err, &bad)
		logging.For(ctx, s.log).Warn("gateway event refused", "requestId", ev.RequestContext.RequestID, "error", err)
		writeError(rec, &apiError{http.StatusBadRequest, "invalid_request", bad.Message})
		return gateway.Response(rec), nil
	}
	s.ServeHTTP(rec, req)
	return gateway.Response(rec), nil
}
