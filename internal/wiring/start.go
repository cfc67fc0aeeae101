package wiring

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/peoplesync/peoplesync/internal/awsenv"
	"github.com/peoplesync/peoplesync/internal/logging"
)

// Builder makes a function's Lambda handler from its clients and env.
type Builder func(c Clients, env map[string]string, log *slog.Logger) (handler any, err error)

// Start is a Lambda main: it sets the memory limit from the function's
// size, reads the named environment and the AWS configuration, builds the
// handler and hands it to Lambda, or logs why it cannot and exits.
func Start(names []string, build Builder) {
	log := logging.New(os.Stdout, os.Getenv("LOG_LEVEL"))
	if limit := LimitMemory(os.Getenv); limit > 0 {
		log.Debug("memory limit set from the function's size", "bytes", limit)
	}
	handler, err := setup(names, build, log)
	if err != nil {
		log.Error("function cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(handler)
}

// LimitMemory sets the runtime's soft memory limit from the function's
// size (memoryLimit) and returns it; 0 when it left the runtime's own.
func LimitMemory(getenv func(string) string) int64 {
	limit := memoryLimit(getenv)
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	return limit
}

func setup(names []string, build Builder, log *slog.Logger) (any, error) {
	env, err := awsenv.Require(names...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	return build(NewClients(cfg, ""), env, log)
}
