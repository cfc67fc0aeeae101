// Package gateway turns API Gateway HTTP API events (payload 2.0) into
// http.Requests and recorded answers back into responses, so a Lambda
// serves the same http.Handler the local stack serves. The JWT
// authorizer's validated claims ride in the request's context.
package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// BadEvent is an event that makes no request. Message says why in words
// fit for the client; Err is the detail, for the log.
type BadEvent struct {
	Message string
	Err     error
}

func (e *BadEvent) Error() string { return e.Message + ": " + e.Err.Error() }
func (e *BadEvent) Unwrap() error { return e.Err }

type claimsKey struct{}

// Claims are the claims the JWT authorizer validated and passed on with
// the request, nil for a request that did not come through one.
func Claims(r *http.Request) map[string]string {
	claims, _ := r.Context().Value(claimsKey{}).(map[string]string)
	return claims
}

// Request is the request an event stands for, with the gateway's request
// id as X-Request-Id. Its errors are *BadEvent.
func Request(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, &BadEvent{"The body is not valid base64.", err}
		}
	}
	target := ev.RawPath
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	var claims map[string]string
	if a := ev.RequestContext.Authorizer; a != nil && a.JWT != nil {
		claims = a.JWT.Claims
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, claimsKey{}, claims), ev.RequestContext.HTTP.Method, target, bytes.NewReader(body))
	if err != nil {
		return nil, &BadEvent{"The request's method or path cannot be read.", err}
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

// Response is a recorded answer as the gateway expects it.
func Response(rec *httptest.ResponseRecorder) events.APIGatewayV2HTTPResponse {
	resp := events.APIGatewayV2HTTPResponse{StatusCode: rec.Code, Headers: map[string]string{}, Body: rec.Body.String()}
	for k, v := range rec.Header() {
		resp.Headers[k] = strings.Join(v, ", ")
	}
	return resp
}
