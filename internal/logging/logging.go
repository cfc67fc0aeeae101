// Package logging builds the service's structured JSON logs. Every line of
// a request carries its ids (tenant, run, request); no line carries a key or
// a whole employee record.
package logging

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New is a JSON logger at level ("DEBUG", "INFO", "WARN", "ERROR"; INFO if
// unknown).
func New(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

type requestKey struct{}

// WithRequestID marks ctx with a request id, for callers outside Lambda
// (the local runner, tests).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, id)
}

// For is log with the request id of ctx: Lambda's, or one set by
// WithRequestID.
func For(ctx context.Context, log *slog.Logger) *slog.Logger {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return log.With("requestId", lc.AwsRequestID)
	}
	if id, ok := ctx.Value(requestKey{}).(string); ok {
		return log.With("requestId", id)
	}
	return log
}
