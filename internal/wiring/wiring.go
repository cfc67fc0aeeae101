// Package wiring assembles each function from its environment and AWS
// clients. The Lambda mains and the local stack both call it, so what runs
// locally is what runs in AWS.
package wiring

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/peoplesync/peoplesync/internal/dynamo"
	"github.com/peoplesync/peoplesync/internal/files"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
	"github.com/peoplesync/peoplesync/internal/secrets"
	"github.com/peoplesync/peoplesync/internal/worker"
)

// Clients are the AWS clients the functions use, as the narrow interfaces
// of their adapters, so tests can wrap one to count or fail calls.
type Clients struct {
	DynamoDB dynamo.API
	S3       files.S3API
	KMS      secrets.KMSAPI
}

// NewClients builds the clients from cfg. A configuration with an endpoint
// of its own is an emulator, where S3 needs path-style addressing.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		DynamoDB: dynamodb.NewFromConfig(cfg),
		S3:       s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil }),
		KMS:      kms.NewFromConfig(cfg),
	}
}

// WorkerEnv names the environment the worker needs.
var WorkerEnv = []string{"TABLE_NAME", "ERROR_FILES_BUCKET", "KEYS_KEY_ID", "PEOPLEHR_BASE_URL"}

// Worker assembles the import worker.
func Worker(c Clients, env map[string]string, log *slog.Logger, opts ...worker.Option) (*worker.Worker, error) {
	return worker.New(
		dynamo.New(c.DynamoDB, env["TABLE_NAME"]),
		peoplehr.New(env["PEOPLEHR_BASE_URL"], peoplehr.WithLogger(log)),
		secrets.NewSealer(c.KMS, env["KEYS_KEY_ID"]),
		files.NewStore(c.S3, env["ERROR_FILES_BUCKET"]),
		log, opts...,
	)
}
