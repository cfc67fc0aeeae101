package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	stdsync "sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/peoplesync/peoplesync/internal/devstack"
	"github.com/peoplesync/peoplesync/internal/dynamo"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/secrets"
	"github.com/peoplesync/peoplesync/internal/sync"
	"github.com/peoplesync/peoplesync/internal/wiring"
	"github.com/peoplesync/peoplesync/internal/worker"
)

// Options shape a Stack.
type Options struct {
	// Moto is an emulator to reuse (tests share one); nil starts one that
	// Close stops.
	Moto *devstack.Moto
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
	// WrapDynamoDB lets a test watch or fail the table calls.
	WrapDynamoDB func(dynamo.API) dynamo.API
}

// Stack is the running service.
type Stack struct {
	Moto      *devstack.Moto
	Resources *devstack.Resources
	Sandbox   *peoplehrtest.Server // nil when PeopleHRBaseURL was given
	Clients   wiring.Clients
	Store     *dynamo.Store
	Sealer    *secrets.Sealer
	Worker    *worker.Worker
	WorkerEnv map[string]string
	sqs       *sqs.Client
	log       *slog.Logger
	now       func() time.Time
	ownMoto   bool
	stop      context.CancelFunc
	loops     stdsync.WaitGroup
}

// Start brings the stack up. Close it to stop everything it started.
func Start(ctx context.Context, o Options) (st *Stack, err error) {
	s := &Stack{Moto: o.Moto, log: o.Log, now: o.Now}
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
	base := o.PeopleHRBaseURL
	if base == "" {
		s.Sandbox = peoplehrtest.New(peoplehrtest.Options{Employees: o.Employees})
		base = s.Sandbox.URL()
	}
	if s.WorkerEnv, err = devstack.FunctionEnv(tpl, s.Resources, "WorkerFunction", map[string]string{"PEOPLEHR_BASE_URL": base}); err != nil {
		return nil, err
	}
	s.Clients = wiring.NewClients(cfg)
	if o.WrapDynamoDB != nil {
		s.Clients.DynamoDB = o.WrapDynamoDB(s.Clients.DynamoDB)
	}
	s.sqs = devstack.NewClients(cfg).SQS
	s.Store = dynamo.New(s.Clients.DynamoDB, s.WorkerEnv["TABLE_NAME"], dynamo.WithClock(s.now))
	s.Sealer = secrets.NewSealer(s.Clients.KMS, s.WorkerEnv["KEYS_KEY_ID"])
	s.Worker, err = wiring.Worker(s.Clients, s.WorkerEnv, s.log, worker.WithClock(s.now))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// StartConsumers runs the worker on the imports queue until Close, as the
// Lambda event source mapping would.
func (s *Stack) StartConsumers(ctx context.Context) {
	ctx, s.stop = context.WithCancel(ctx)
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		poll(ctx, s.sqs, s.Resources.Ref("ImportsQueue"), s.Resources.Arn("ImportsQueue"), 1, time.Second, s.Worker.HandleSQS, s.log)
	}()
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
}

// Tenant describes a tenant to seed.
type Tenant struct {
	ID, ProgrammeName, AdminEmail, APIKey string
	Settings                              integration.Settings
	Mapping                               sync.Mapping
}

// SeedTenant stores a published integration with a sealed key, as an admin
// finishing the setup would leave it.
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
	body, err := json.Marshal(integration.Job{TenantID: tenant, RunID: run.RunID, Trigger: trigger})
	if err != nil {
		return nil, err
	}
	_, err = s.sqs.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(s.Resources.Ref("ImportsQueue")), MessageBody: aws.String(string(body)),
	})
	if err != nil {
		return nil, fmt.Errorf("queue job: %w", err)
	}
	return run, nil
}

// WaitFinished polls a run until it finishes or ctx ends.
func (s *Stack) WaitFinished(ctx context.Context, tenant, runID string) (*integration.Run, error) {
	for {
		run, err := s.Store.GetRun(ctx, tenant, runID)
		if err != nil {
			return nil, err
		}
		if run.Status.Finished() {
			return run, nil
		}
		select {
		case <-ctx.Done():
			return run, fmt.Errorf("wait for run %s: %w (last status %s)", runID, ctx.Err(), run.Status)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
