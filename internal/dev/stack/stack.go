package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/peoplesync/peoplesync/internal/api"
	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dev/localissuer"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dynamo"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/mailer"
	"github.com/peoplesync/peoplesync/internal/platform"
	"github.com/peoplesync/peoplesync/internal/queue"
	"github.com/peoplesync/peoplesync/internal/scheduler"
	"github.com/peoplesync/peoplesync/internal/secrets"
	"github.com/peoplesync/peoplesync/internal/sqsbatch"
	"github.com/peoplesync/peoplesync/internal/wiring"
	"github.com/peoplesync/peoplesync/internal/worker"
)

type sqsHandler = func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// Options shape a Stack.
type Options struct {
	// Moto and SES are emulators to reuse (tests share them); nil starts
	// one that Close stops.
	Moto *devstack.Moto
	SES  *devstack.SES
	// Prefix starts every resource name, so stacks on one emulator do not
	// meet.
	Prefix string
	// PeopleHRBaseURL points the stack at a PeopleHR-compatible server;
	// empty starts the built-in sandbox with Employees.
	PeopleHRBaseURL string
	Employees       []peoplehrtest.Employee
	Log             *slog.Logger
	// Now is the clock of the functions; the wall clock when nil.
	Now func() time.Time
	// WrapClients lets a test watch or fail the AWS calls of every
	// function by replacing clients with wrappers.
	WrapClients func(*wiring.Clients)
	// Tick is how often the in-process scheduler ticks; zero runs none
	// (tests call Scheduler.Tick themselves).
	Tick time.Duration
	// Issuer signs the admins' tokens the API accepts, standing in for the
	// platform's identity provider; nil makes an in-memory one.
	Issuer *localissuer.Issuer
	// EgressIP stands in for the address of the template's fixed egress
	// (FixedEgress), which moto cannot create; empty for none.
	EgressIP string
	// InviteBaseURL is where welcome links point, such as a local
	// stand-in's join page; empty keeps the template's default.
	InviteBaseURL string
	// MemberEvents is the template's MemberEvents parameter; empty keeps
	// its default.
	MemberEvents string
}

// Stack is the running service.
type Stack struct {
	Moto      *devstack.Moto
	SES       *devstack.SES
	Resources *devstack.Resources
	Sandbox   *peoplehrtest.Server // nil when PeopleHRBaseURL was given
	Clients   wiring.Clients
	Store     *dynamo.Store
	Sealer    *secrets.Sealer
	Imports   *queue.Imports
	Worker    *worker.Worker
	Scheduler *scheduler.Scheduler
	Mailer    *mailer.Mailer
	// WorkerSQS and MailerSQS are the Lambda handlers the functions run,
	// as their event source mappings call them.
	WorkerSQS sqsHandler
	MailerSQS sqsHandler
	API       *api.Server
	Platform  *platform.Server
	Issuer    *localissuer.Issuer
	WorkerEnv map[string]string
	// WorkerMemoryMB is the worker's MemorySize in template.yaml.
	WorkerMemoryMB int
	sqs            *sqs.Client
	log            *slog.Logger
	now            func() time.Time
	tick           time.Duration
	mailers        int // the mailer's maximum concurrency in template.yaml
	ownMoto        bool
	ownSES         bool
	stop           context.CancelFunc
	loops          sync.WaitGroup
}

// Start brings the stack up. Close it to stop everything it started.
func Start(ctx context.Context, o Options) (st *Stack, err error) {
	s := &Stack{Moto: o.Moto, SES: o.SES, Issuer: o.Issuer, log: o.Log, now: o.Now, tick: o.Tick}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.Moto == nil {
		if s.Moto, err = devstack.StartMoto(ctx); err != nil {
			return nil, err
		}
		s.ownMoto = true
	}
	if s.SES == nil {
		if s.SES, err = devstack.StartSES(ctx); err != nil {
			return nil, err
		}
		s.ownSES = true
	}
	root, err := devstack.RepoRoot()
	if err != nil {
		return nil, err
	}
	tpl, err := devstack.LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	cfg := devstack.AWSConfig(s.Moto.Endpoint())
	if s.Resources, err = devstack.Provision(ctx, cfg, tpl, o.Prefix); err != nil {
		return nil, err
	}
	if s.mailers, err = maximumConcurrency(tpl, "MailerFunction", "Mail"); err != nil {
		return nil, err
	}
	if s.WorkerMemoryMB, err = strconv.Atoi(fmt.Sprint(tpl.Resources["WorkerFunction"].Properties["MemorySize"])); err != nil {
		return nil, fmt.Errorf("template: the worker's MemorySize: %w", err)
	}
	base := o.PeopleHRBaseURL
	if base == "" {
		s.Sandbox = peoplehrtest.New(peoplehrtest.Options{Employees: o.Employees})
		base = s.Sandbox.URL()
	}
	var mailerEnv map[string]string
	if o.InviteBaseURL != "" {
		mailerEnv = map[string]string{"INVITE_BASE_URL": o.InviteBaseURL}
	}
	workerEnv := map[string]string{"PEOPLEHR_BASE_URL": base}
	if o.MemberEvents != "" {
		workerEnv["MEMBER_EVENTS"] = o.MemberEvents
	}
	envs := make(map[string]map[string]string, 3)
	// The stack's tests send hundreds of requests a second as one tenant, so
	// its API's per-tenant limits are out of reach (internal/api tests them).
	for fn, overrides := range map[string]map[string]string{
		"WorkerFunction":    workerEnv,
		"ApiFunction":       {"PEOPLEHR_BASE_URL": base, "TENANT_RATE_LIMITS": "read=10000/10000 write=10000/10000", "EGRESS_IP": o.EgressIP},
		"MailerFunction":    mailerEnv,
		"SchedulerFunction": nil, "PlatformFunction": nil,
	} {
		if envs[fn], err = devstack.FunctionEnv(tpl, s.Resources, fn, overrides); err != nil {
			return nil, err
		}
	}
	s.WorkerEnv = envs["WorkerFunction"]
	s.Clients = wiring.NewClients(cfg, s.SES.Endpoint())
	if o.WrapClients != nil {
		o.WrapClients(&s.Clients)
	}
	s.sqs = devstack.NewClients(cfg).SQS
	s.Store = dynamo.New(s.Clients.DynamoDB, s.WorkerEnv["TABLE_NAME"], dynamo.WithClock(s.now))
	s.Sealer = secrets.NewSealer(s.Clients.KMS, s.WorkerEnv["KEYS_KEY_ID"])
	s.Imports = queue.NewImports(s.Clients.SQS, envs["SchedulerFunction"]["IMPORTS_QUEUE_URL"])
	if s.Worker, err = wiring.Worker(s.Clients, s.WorkerEnv, s.log, s.now); err != nil {
		return nil, err
	}
	if s.Scheduler, err = wiring.Scheduler(s.Clients, envs["SchedulerFunction"], s.log, s.now); err != nil {
		return nil, err
	}
	if s.Mailer, err = wiring.Mailer(s.Clients, envs["MailerFunction"], s.log, s.now); err != nil {
		return nil, err
	}
	s.WorkerSQS, s.MailerSQS = sqsbatch.Handler(s.log, s.Worker.Handle), sqsbatch.Handler(s.log, s.Mailer.Handle)
	if s.Issuer == nil {
		if s.Issuer, err = localissuer.New(localissuer.DefaultIssuer, localissuer.DefaultAudience); err != nil {
			return nil, err
		}
	}
	// Tokens live in real time, whatever clock the functions are given.
	verifier, err := auth.NewVerifier(s.Issuer.Issuer(), s.Issuer.Audience(), s.Issuer.Keys())
	if err != nil {
		return nil, err
	}
	if s.API, err = wiring.API(s.Clients, envs["ApiFunction"], s.log, s.now, api.FromBearer(verifier)); err != nil {
		return nil, err
	}
	machines, err := auth.NewVerifier(s.Issuer.Issuer(), localissuer.DefaultPlatformAudience, s.Issuer.Keys())
	if err != nil {
		return nil, err
	}
	if s.Platform, err = wiring.Platform(s.Clients, envs["PlatformFunction"], s.log, s.now, platform.FromBearer(machines)); err != nil {
		return nil, err
	}
	return s, nil
}

// StartConsumers runs, until Close, what AWS runs for the functions: the
// worker on the imports queue and the mailer on the mail queue, as their
// event source mappings would (batch sizes from the template), and the
// scheduler every Options.Tick, as the EventBridge rule would.
func (s *Stack) StartConsumers(ctx context.Context) {
	ctx, s.stop = context.WithCancel(ctx)
	s.loops.Go(func() {
		poll(ctx, s.sqs, s.Resources.Ref("ImportsQueue"), s.Resources.Arn("ImportsQueue"), 1, time.Second, s.WorkerSQS, s.log)
	})
	// As many mailers as the mail queue's maximum concurrency: what makes
	// its message groups share the send rate between tenants.
	for range s.mailers {
		s.loops.Go(func() {
			poll(ctx, s.sqs, s.Resources.Ref("MailQueue"), s.Resources.Arn("MailQueue"), 1, time.Second, s.MailerSQS, s.log)
		})
	}
	if s.tick > 0 {
		s.loops.Go(func() {
			t := time.NewTicker(s.tick)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if _, err := s.Scheduler.Tick(ctx); err != nil && ctx.Err() == nil {
						s.log.Warn("scheduler tick", "error", err)
					}
				}
			}
		})
	}
}

// Handler serves what API Gateway serves in AWS, and the local issuer's
// keys at /local-issuer/jwks.json.
func (s *Stack) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /local-issuer/jwks.json", s.Issuer.JWKSHandler())
	// API Gateway sends /platform/ to the platform's function, behind the
	// authorizer for machine tokens; the rest to the admin API.
	mux.Handle("/platform/", s.Platform)
	mux.Handle("/", s.API)
	return mux
}

// PlatformToken is a signed machine token of the platform's backend with
// scopes, as the identity provider would issue it.
func (s *Stack) PlatformToken(scopes ...string) (string, error) {
	return s.Issuer.MachineToken(localissuer.DefaultPlatformAudience, "local-platform", scopes, time.Hour)
}

// Token is a signed admin token for tenant, as the identity provider would
// issue it.
func (s *Stack) Token(tenant, email string) (string, error) {
	return s.Issuer.Token(tenant, email, 12*time.Hour)
}

// Close stops the consumers, the sandbox and, if the stack started it, the
// emulator.
func (s *Stack) Close() {
	if s.stop != nil {
		s.stop()
		s.loops.Wait()
	}
	if s.Sandbox != nil {
		s.Sandbox.Close()
	}
	if s.ownMoto && s.Moto != nil {
		s.Moto.Stop()
	}
	if s.ownSES && s.SES != nil {
		s.SES.Stop()
	}
}

// Tenant describes a tenant to seed.
type Tenant struct {
	ID, ProgrammeName, AdminEmail, APIKey string
	Settings                              integration.Settings
	Mapping                               engine.Mapping
	// FirstRunAt, if set, is the first scheduled slot, due at once (no
	// spread); otherwise the settings' next slot is.
	FirstRunAt time.Time
}

// SeedTenant stores a published, scheduled integration with a sealed key,
// as an admin finishing the setup would leave it.
func (s *Stack) SeedTenant(ctx context.Context, t Tenant) error {
	sealed, err := s.Sealer.Seal(ctx, t.ID, t.APIKey)
	if err != nil {
		return err
	}
	in := &integration.Integration{
		TenantID: t.ID, ProgrammeName: t.ProgrammeName, AdminEmail: t.AdminEmail,
		Settings: t.Settings, Mapping: t.Mapping, Published: true, State: integration.StateLive,
		Key: &integration.SealedKey{Ciphertext: sealed, Last4: secrets.Last4(t.APIKey), AddedAt: s.now()},
	}
	if t.FirstRunAt.IsZero() {
		if err := in.ScheduleFrom(s.now()); err != nil {
			return err
		}
	} else {
		in.NextRunAt, in.DueAt = t.FirstRunAt, t.FirstRunAt
	}
	if existing, err := s.Store.GetIntegration(ctx, t.ID); err == nil {
		in.Version = existing.Version
	} else if !errors.Is(err, integration.ErrNotFound) {
		return err
	}
	return s.Store.PutIntegration(ctx, in)
}

// Enqueue records a queued run and sends its job, as "Import data now" does.
func (s *Stack) Enqueue(ctx context.Context, tenant string, trigger integration.Trigger) (*integration.Run, error) {
	run := &integration.Run{
		TenantID: tenant, RunID: integration.NewRunID(s.now()), Trigger: trigger,
		Status: integration.StatusQueued, QueuedAt: s.now(),
	}
	if err := s.Store.CreateRun(ctx, run); err != nil {
		return nil, err
	}
	if err := s.Imports.Send(ctx, integration.Job{TenantID: tenant, RunID: run.RunID, Trigger: trigger}); err != nil {
		return nil, err
	}
	return run, nil
}

// WaitFinished polls a run until it finishes or ctx ends; a run not yet
// created (a scheduled slot still to come) is waited for too.
func (s *Stack) WaitFinished(ctx context.Context, tenant, runID string) (*integration.Run, error) {
	for {
		run, err := s.Store.GetRun(ctx, tenant, runID)
		switch {
		case errors.Is(err, integration.ErrNotFound):
		case err != nil:
			return nil, err
		case run.Status.Finished():
			return run, nil
		}
		select {
		case <-ctx.Done():
			return run, fmt.Errorf("wait for run %s: %w", runID, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// maximumConcurrency is the ScalingConfig.MaximumConcurrency of a
// function's SQS event in tpl.
func maximumConcurrency(tpl *devstack.Template, function, event string) (int, error) {
	var v any = tpl.Resources[function].Properties
	for _, k := range []string{"Events", event, "Properties", "ScalingConfig", "MaximumConcurrency"} {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	n, err := strconv.Atoi(fmt.Sprint(v))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("template: %s's %s event has no maximum concurrency (%v)", function, event, v)
	}
	return n, nil
}
