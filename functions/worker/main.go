// Command worker is the Lambda that runs one import per SQS job.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/peoplesync/peoplesync/internal/awsenv"
	"github.com/peoplesync/peoplesync/internal/logging"
	"github.com/peoplesync/peoplesync/internal/wiring"
	"github.com/peoplesync/peoplesync/internal/worker"
)

func main() {
	log := logging.New(os.Stdout, os.Getenv("LOG_LEVEL"))
	w, err := build(context.Background(), log)
	if err != nil {
		log.Error("worker cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(w.HandleSQS)
}

func build(ctx context.Context, log *slog.Logger) (*worker.Worker, error) {
	env, err := awsenv.Require(wiring.WorkerEnv...)
	if err != nil {
		return nil, err
	}
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	return wiring.Worker(wiring.NewClients(cfg), env, log)
}
