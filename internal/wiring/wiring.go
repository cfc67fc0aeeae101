// Package wiring assembles each function from its environment and AWS
// clients. The Lambda mains and the local stack both call it, so what runs
// locally is what runs in AWS.
package wiring

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/peoplesync/peoplesync/internal/api"
	"github.com/peoplesync/peoplesync/internal/dynamo"
	"github.com/peoplesync/peoplesync/internal/email"
	"github.com/peoplesync/peoplesync/internal/events"
	"github.com/peoplesync/peoplesync/internal/files"
	"github.com/peoplesync/peoplesync/internal/mailer"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
	"github.com/peoplesync/peoplesync/internal/platform"
	"github.com/peoplesync/peoplesync/internal/queue"
	"github.com/peoplesync/peoplesync/internal/scheduler"
	"github.com/peoplesync/peoplesync/internal/secrets"
	"github.com/peoplesync/peoplesync/internal/worker"
)

// Clients are the AWS clients the functions use, as the narrow interfaces
// of their adapters, so tests can wrap one to count or fail calls.
type Clients struct {
	DynamoDB    dynamo.API
	S3          files.S3API
	S3Presign   *s3.PresignClient
	KMS         secrets.KMSAPI
	SQS         queue.API
	SES         email.API
	EventBridge events.API
}

// NewClients builds the clients from cfg. A configuration with an endpoint
// of its own is an emulator, where S3 needs path-style addressing. SES may
// have an endpoint of its own (the local stack's SES emulator).
func NewClients(cfg aws.Config, sesEndpoint string) Clients {
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil })
	return Clients{
		DynamoDB:    dynamodb.NewFromConfig(cfg),
		S3:          s3c,
		S3Presign:   s3.NewPresignClient(s3c),
		KMS:         kms.NewFromConfig(cfg),
		SQS:         sqs.NewFromConfig(cfg),
		EventBridge: eventbridge.NewFromConfig(cfg),
		SES: ses.NewFromConfig(cfg, func(o *ses.Options) {
			if sesEndpoint != "" {
				o.BaseEndpoint = &sesEndpoint
			}
		}),
	}
}

// store is the table adapter. DYNAMO_WRITE_CONCURRENCY, when set, bounds
// the writes in flight (the benchmark varies it).
func store(c Clients, env map[string]string, now func() time.Time) *dynamo.Store {
	opts := []dynamo.Option{dynamo.WithClock(now)}
	if n, err := strconv.Atoi(env["DYNAMO_WRITE_CONCURRENCY"]); err == nil && n > 0 {
		opts = append(opts, dynamo.WithConcurrency(n))
	}
	return dynamo.New(c.DynamoDB, env["TABLE_NAME"], opts...)
}

// The table adapter fills every store port; each is declared by its user in
// domain types only.
var (
	_ api.Store       = (*dynamo.Store)(nil)
	_ worker.Store    = (*dynamo.Store)(nil)
	_ scheduler.Store = (*dynamo.Store)(nil)
	_ mailer.Store    = (*dynamo.Store)(nil)
	_ platform.Store  = (*dynamo.Store)(nil)
)

// The environment each function needs, as template.yaml sets it.
var (
	WorkerEnv    = []string{"TABLE_NAME", "ERROR_FILES_BUCKET", "KEYS_KEY_ID", "PEOPLEHR_BASE_URL", "MAIL_QUEUE_URL", "EVENT_BUS_NAME", "MEMBER_EVENTS"}
	SchedulerEnv = []string{"TABLE_NAME", "IMPORTS_QUEUE_URL", "MAIL_QUEUE_URL"}
	MailerEnv    = []string{"TABLE_NAME", "SES_FROM", "SES_SEND_RATE", "DASHBOARD_URL", "INVITE_BASE_URL"}
	PlatformEnv  = []string{"TABLE_NAME", "EVENT_BUS_NAME"}
	APIEnv       = []string{"TABLE_NAME", "ERROR_FILES_BUCKET", "KEYS_KEY_ID", "PEOPLEHR_BASE_URL", "IMPORTS_QUEUE_URL", "MAIL_QUEUE_URL"}
)

// API assembles the setup and import API. Its PeopleHR calls are bounded
// tighter than the worker's: they answer a person within API Gateway's 30 s.
// Each tenant's requests are limited (api.DefaultLimits);
// TENANT_RATE_LIMITS, when set, replaces the limits: the local stack's
// tests send hundreds of requests a second as one tenant. EGRESS_IP is
// the fixed egress address, empty without one.
func API(c Clients, env map[string]string, log *slog.Logger, now func() time.Time, authn api.Authenticator) (*api.Server, error) {
	limits := api.DefaultLimits
	if v, ok := env["TENANT_RATE_LIMITS"]; ok {
		var err error
		if limits, err = api.ParseLimits(v); err != nil {
			return nil, fmt.Errorf("TENANT_RATE_LIMITS: %w", err)
		}
	}
	st := store(c, env, now)
	opts := []api.Option{api.WithRateLimits(st, limits), api.WithExports(files.NewStore(c.S3, env["ERROR_FILES_BUCKET"]))}
	if v := env["EGRESS_IP"]; v != "" {
		ip, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("EGRESS_IP %q: %w", v, err)
		}
		opts = append(opts, api.WithEgressIP(ip))
	}
	return api.New(
		st,
		peoplehr.New(env["PEOPLEHR_BASE_URL"], peoplehr.WithLogger(log), peoplehr.WithMaxAttempts(2), peoplehr.WithAttemptTimeout(12*time.Second)),
		secrets.NewSealer(c.KMS, env["KEYS_KEY_ID"]),
		queue.NewImports(c.SQS, env["IMPORTS_QUEUE_URL"]),
		queue.NewMail(c.SQS, env["MAIL_QUEUE_URL"]),
		files.NewLinks(c.S3Presign, c.S3, env["ERROR_FILES_BUCKET"]),
		authn, log, now,
		opts...,
	)
}

// Worker assembles the import worker; now is the clock (time.Now in Lambda).
// MEMBER_EVENTS is the shape of its member events (events.ParseShape).
func Worker(c Clients, env map[string]string, log *slog.Logger, now func() time.Time) (*worker.Worker, error) {
	shape, err := events.ParseShape(env["MEMBER_EVENTS"])
	if err != nil {
		return nil, fmt.Errorf("MEMBER_EVENTS: %w", err)
	}
	return worker.New(
		store(c, env, now),
		peoplehr.New(env["PEOPLEHR_BASE_URL"], peoplehr.WithLogger(log)),
		secrets.NewSealer(c.KMS, env["KEYS_KEY_ID"]),
		files.NewStore(c.S3, env["ERROR_FILES_BUCKET"]),
		queue.NewMail(c.SQS, env["MAIL_QUEUE_URL"]),
		events.NewPublisher(c.EventBridge, env["EVENT_BUS_NAME"], shape),
		log, worker.WithClock(now),
	)
}

// Scheduler assembles the scheduler.
func Scheduler(c Clients, env map[string]string, log *slog.Logger, now func() time.Time) (*scheduler.Scheduler, error) {
	return scheduler.New(store(c, env, now), queue.NewImports(c.SQS, env["IMPORTS_QUEUE_URL"]), queue.NewMail(c.SQS, env["MAIL_QUEUE_URL"]), log, now)
}

// Platform assembles the platform API; authn reads the machine client
// (platform.FromGatewayClaims in Lambda).
func Platform(c Clients, env map[string]string, log *slog.Logger, now func() time.Time, authn platform.Authenticator) (*platform.Server, error) {
	// member.joined only, one member at a time: no shape to choose.
	return platform.New(store(c, env, now), events.NewPublisher(c.EventBridge, env["EVENT_BUS_NAME"], events.ShapeEach), authn, log)
}

// Mailer assembles the mailer.
func Mailer(c Clients, env map[string]string, log *slog.Logger, now func() time.Time) (*mailer.Mailer, error) {
	rate, err := strconv.ParseFloat(env["SES_SEND_RATE"], 64)
	if err != nil || rate <= 0 {
		return nil, fmt.Errorf("SES_SEND_RATE %q: want a positive number of emails per second", env["SES_SEND_RATE"])
	}
	return mailer.New(
		store(c, env, now),
		email.NewSender(c.SES, env["SES_FROM"], env["SES_CONFIGURATION_SET"], rate),
		mailer.Config{DashboardURL: env["DASHBOARD_URL"], InviteBaseURL: env["INVITE_BASE_URL"]},
		log, now,
	)
}
