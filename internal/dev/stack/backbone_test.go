package stack_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	sesv1 "github.com/aws/aws-sdk-go-v2/service/ses"
	sqsv1 "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/dynamo"
	"github.com/peoplesync/peoplesync/internal/email"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/wiring"
	"github.com/peoplesync/peoplesync/internal/worker"
)

// faulty fails the table writes a test picks: fail sees each write call
// (operation and the key of its first item) and may return an error.
type faulty struct {
	dynamo.API
	mu   sync.Mutex
	fail func(op, pk, sk string) error
}

func (f *faulty) check(op string, key map[string]ddbtypes.AttributeValue) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail == nil {
		return nil
	}
	pk, _ := key["PK"].(*ddbtypes.AttributeValueMemberS)
	sk, _ := key["SK"].(*ddbtypes.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return f.fail(op, "", "")
	}
	return f.fail(op, pk.Value, sk.Value)
}

func (f *faulty) set(fail func(op, pk, sk string) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

func (f *faulty) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if err := f.check("PutItem", in.Item); err != nil {
		return nil, err
	}
	return f.API.PutItem(ctx, in, o...)
}

func (f *faulty) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if err := f.check("UpdateItem", in.Key); err != nil {
		return nil, err
	}
	return f.API.UpdateItem(ctx, in, o...)
}

func (f *faulty) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if err := f.check("DeleteItem", in.Key); err != nil {
		return nil, err
	}
	return f.API.DeleteItem(ctx, in, o...)
}

func (f *faulty) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	first := in.TransactItems[0]
	key := map[string]ddbtypes.AttributeValue{}
	switch {
	case first.Put != nil:
		key = first.Put.Item
	case first.Update != nil:
		key = first.Update.Key
	case first.Delete != nil:
		key = first.Delete.Key
	}
	if err := f.check("TransactWriteItems", key); err != nil {
		return nil, err
	}
	return f.API.TransactWriteItems(ctx, in, o...)
}

func (f *faulty) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if err := f.check("BatchWriteItem", nil); err != nil {
		return nil, err
	}
	return f.API.BatchWriteItem(ctx, in, o...)
}

func wrapFaulty(f *faulty) func(*wiring.Clients) {
	return func(c *wiring.Clients) { f.API = c.DynamoDB; c.DynamoDB = f }
}

var errInjected = errors.New("injected fault")

func seedDaily(t *testing.T, st *stack.Stack, id, at string, first time.Time) {
	t.Helper()
	settings := integration.DefaultSettings()
	settings.Frequency, settings.TimeOfDay = "daily", at
	err := st.SeedTenant(context.Background(), stack.Tenant{
		ID: id, ProgrammeName: id + " perks", AdminEmail: "admin@" + id + ".example",
		APIKey: peoplehrtest.DefaultAPIKey, Settings: settings, Mapping: engine.DefaultMapping(), FirstRunAt: first,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func queuedJobs(t *testing.T, st *stack.Stack) []string {
	t.Helper()
	ev, err := st.Receive(context.Background(), "ImportsQueue", 10)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ev.Records {
		out = append(out, m.Attributes["MessageGroupId"]+" "+m.Body)
	}
	slices.Sort(out)
	return out
}

func slotJob(tenant string, slot time.Time) string {
	return fmt.Sprintf(`%s {"tenantId":%q,"runId":%q,"trigger":"schedule"}`, tenant, tenant, integration.SlotRunID(slot))
}

// Two ticks at once, and a third after, queue each due slot once and
// advance each tenant once; a tenant not yet due is left alone.
func TestSchedulerQueuesEachSlotOnce(t *testing.T) {
	slot := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	clk := &clock{now: slot.Add(-time.Hour)}
	st := newStack(t, clk, nil, nil)
	seedDaily(t, st, "acme", "09:00", slot)
	seedDaily(t, st, "globex", "09:00", slot)
	seedDaily(t, st, "initech", "10:00", slot.Add(time.Hour))

	clk.Set(slot.Add(30 * time.Second))
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := st.Scheduler.Tick(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if res, err := st.Scheduler.Tick(context.Background()); err != nil || res.Queued != 0 {
		t.Fatalf("third tick: %+v %v", res, err)
	}
	want := []string{slotJob("acme", slot), slotJob("globex", slot)}
	if got := queuedJobs(t, st); !slices.Equal(got, want) {
		t.Fatalf("queued:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	in, err := st.Store.GetIntegration(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if next := time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC); !in.NextRunAt.Equal(next) || in.DueAt.Before(next) || in.DueAt.After(next.Add(15*time.Minute)) {
		t.Errorf("acme next %s due %s, want next %s due within 15 min after", in.NextRunAt, in.DueAt, next)
	}
	if in, _ := st.Store.GetIntegration(context.Background(), "initech"); !in.NextRunAt.Equal(slot.Add(time.Hour)) {
		t.Errorf("initech moved to %s", in.NextRunAt)
	}
}

// A tick that dies between queueing and advancing leaves the slot due; the
// next tick queues it again, which the FIFO queue deduplicates, and
// advances it.
func TestSchedulerCrashBetweenQueueAndAdvance(t *testing.T) {
	slot := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	clk := &clock{now: slot.Add(time.Minute)}
	f := &faulty{}
	st := newStack(t, clk, nil, wrapFaulty(f))
	seedDaily(t, st, "acme", "09:00", slot)
	f.set(func(op, pk, sk string) error {
		if op == "UpdateItem" && sk == "INTEGRATION" {
			return errInjected
		}
		return nil
	})
	if res, _ := st.Scheduler.Tick(context.Background()); res.Queued != 1 || res.Advanced != 0 {
		t.Fatalf("crashing tick: %+v", res)
	}
	f.set(nil)
	if res, err := st.Scheduler.Tick(context.Background()); err != nil || res.Queued != 1 || res.Advanced != 1 {
		t.Fatalf("next tick: %+v %v", res, err)
	}
	if got := queuedJobs(t, st); !slices.Equal(got, []string{slotJob("acme", slot)}) {
		t.Fatalf("queued %q", got)
	}
}

// The same job delivered twice at once, then again later, makes one run
// and one set of members.
func TestDuplicateDeliveriesMakeOneRun(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	writes := &runWrites{}
	st := newStack(t, clk, staff(30), func(c *wiring.Clients) { writes.API = c.DynamoDB; c.DynamoDB = writes })
	seedAcme(t, st)
	ctx := context.Background()
	queued, err := st.Enqueue(ctx, tenant, integration.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := st.Receive(ctx, "ImportsQueue", 1)
	if err != nil || len(ev.Records) != 1 {
		t.Fatalf("receive: %v %d", err, len(ev.Records))
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			resp, err := st.WorkerSQS(ctx, ev)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Errorf("delivery: %v %+v", err, resp)
			}
		})
	}
	wg.Wait()
	resp, err := st.WorkerSQS(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("late delivery: %v %+v", err, resp)
	}
	run, err := st.Store.GetRun(ctx, tenant, queued.RunID)
	if err != nil || run.Status != integration.StatusSucceeded || run.Counts.Created != 30 {
		t.Fatalf("run: %v %+v", err, run)
	}
	if got := writes.take(); got != 30 {
		t.Errorf("%d member writes, want 30", got)
	}
	if n := len(members(t, st)); n != 30 {
		t.Errorf("%d members", n)
	}
}

// A job for a tenant whose lease another run holds is deferred, not run.
func TestBusyTenantDefersOtherRuns(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	st := newStack(t, clk, staff(3), nil)
	seedAcme(t, st)
	ctx := context.Background()
	if _, err := st.Store.AcquireLease(ctx, tenant, "other-run", time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err := st.Worker.Run(ctx, integration.Job{TenantID: tenant, RunID: "20260310T090000Z-aaaaaaaa", Trigger: integration.TriggerManual})
	if !errors.Is(err, worker.ErrBusy) {
		t.Fatalf("err = %v, want busy", err)
	}
	if n := len(members(t, st)); n != 0 {
		t.Fatalf("a deferred job wrote %d members", n)
	}
	clk.Set(clk.Now().Add(2 * time.Minute)) // the other run's lease expires
	run, err := st.Worker.Run(ctx, integration.Job{TenantID: tenant, RunID: "20260310T090000Z-aaaaaaaa", Trigger: integration.TriggerManual})
	if err != nil || run.Counts.Created != 3 {
		t.Fatalf("after expiry: %v %+v", err, run)
	}
}

// changedStaff is staff(60) a day later: updates, leavers, an email change
// and new starters, enough for several write batches.
func changedStaff() []peoplehrtest.Employee {
	es := staff(60)
	for i := range 5 {
		es[i].Department = "Marketing"
	}
	for i := 5; i < 8; i++ {
		es[i] = left(es[i], "2026-03-10")
	}
	es[8].EmailID = "moved@acme.example"
	return append(es, emp("N1", "New", "n1@acme.example"), emp("N2", "New", "n2@acme.example"),
		emp("N3", "New", "n3@acme.example"), emp("N4", "New", "n4@acme.example"))
}

type snapshot struct {
	members string
	owners  string
	counts  engine.Counts
}

// snap reads what a run leaves: every member's state (not its bookkeeping)
// and every email owner.
func snap(t *testing.T, st *stack.Stack, run *integration.Run) snapshot {
	t.Helper()
	var ms []string
	for _, m := range members(t, st) {
		ms = append(ms, fmt.Sprintf("%q %s %s %s %s %v", m.Values.Unpack(), m.Status, m.LeftOn, m.PurgeOn, m.Welcome, m.Accepted))
	}
	slices.Sort(ms)
	table := st.WorkerEnv["TABLE_NAME"]
	out, err := rawDynamo().Scan(context.Background(), &dynamodb.ScanInput{TableName: &table})
	if err != nil {
		t.Fatal(err)
	}
	var owners []string
	for _, item := range out.Items {
		var it struct{ PK, Owner string }
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(it.PK, "#EMAIL#") {
			owners = append(owners, it.PK+"="+fmt.Sprint(item["owner"].(*ddbtypes.AttributeValueMemberS).Value))
		}
	}
	slices.Sort(owners)
	return snapshot{strings.Join(ms, "\n"), strings.Join(owners, "\n"), run.Counts}
}

// crashScenario imports staff(60), then runs the changed feed once with
// crash deciding, per table write of that run, whether the worker dies
// there. A death cancels the worker (its lease is not released, as when
// Lambda dies); the job is then delivered again after the lease expired.
// It returns the final state and how many writes the second run made.
func crashScenario(t *testing.T, crashAt int) (snapshot, int) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	f := &faulty{}
	st := newStack(t, clk, staff(60), wrapFaulty(f))
	seedAcme(t, st)
	ctx := context.Background()
	if run, err := st.Worker.Run(ctx, integration.Job{TenantID: tenant, RunID: integration.NewRunID(clk.Now()), Trigger: integration.TriggerManual}); err != nil || run.Counts.Created != 60 {
		t.Fatalf("first import: %v %+v", err, run)
	}
	clk.Set(clk.Now().Add(24 * time.Hour))
	st.Sandbox.SetEmployees(changedStaff())
	job := integration.Job{TenantID: tenant, RunID: integration.NewRunID(clk.Now()), Trigger: integration.TriggerManual}

	runCtx, crash := context.WithCancel(ctx)
	defer crash()
	writes := 0
	f.set(func(op, pk, sk string) error {
		writes++
		if writes == crashAt {
			crash()
			return errInjected
		}
		return nil
	})
	run, err := st.Worker.Run(runCtx, job)
	f.set(nil)
	if crashAt > 0 && crashAt <= writes {
		if err == nil && run.Status.Finished() && writes > crashAt {
			t.Fatalf("crash at write %d of %d: the run finished anyway", crashAt, writes)
		}
		clk.Set(clk.Now().Add(3 * time.Minute)) // past the lease
		if run, err = st.Worker.Run(ctx, job); err != nil {
			t.Fatalf("redelivery after a crash at write %d: %v", crashAt, err)
		}
	}
	if err != nil || !run.Status.Finished() {
		t.Fatalf("crash at %d: %v %+v", crashAt, err, run)
	}
	return snap(t, st, run), writes
}

// A worker that dies at any write of a run and is delivered the job again
// ends with the same members, email owners and counts as one that did not.
func TestCrashAtEveryWriteResumesToTheSameEnd(t *testing.T) {
	want, writes := crashScenario(t, 0)
	if want.counts != (engine.Counts{Created: 4, Updated: 6, Closed: 3, Unchanged: 51, Total: 64}) {
		t.Fatalf("undisturbed counts %+v", want.counts)
	}
	if writes < 10 {
		t.Fatalf("only %d writes: the scenario does not exercise the checkpoints", writes)
	}
	for at := 1; at <= writes; at++ {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			t.Parallel()
			got, _ := crashScenario(t, at)
			if got.counts != want.counts {
				t.Errorf("counts %+v, want %+v", got.counts, want.counts)
			}
			if got.members != want.members {
				t.Errorf("members differ from an undisturbed run")
			}
			if got.owners != want.owners {
				t.Errorf("email owners:\n%s\nwant:\n%s", got.owners, want.owners)
			}
		})
	}
}

// throttled answers SES's Throttling to n sends after the first after.
type throttled struct {
	email.API
	mu       sync.Mutex
	after, n int
}

func (s *throttled) SendEmail(ctx context.Context, in *sesv1.SendEmailInput, o ...func(*sesv1.Options)) (*sesv1.SendEmailOutput, error) {
	s.mu.Lock()
	throttle := s.after <= 0 && s.n > 0
	if s.after--; s.after < 0 {
		s.n--
	}
	s.mu.Unlock()
	if throttle {
		return nil, &smithy.GenericAPIError{Code: "Throttling", Message: "Maximum sending rate exceeded."}
	}
	return s.API.SendEmail(ctx, in, o...)
}

// importMailingThrottled runs a first import of n staff on a stack whose
// SES is th, with no email sent yet: the mail jobs wait in the queue.
func importMailingThrottled(t *testing.T, n int, th *throttled) *stack.Stack {
	t.Helper()
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	st := newStack(t, clk, staff(n), func(c *wiring.Clients) { th.API = c.SES; c.SES = th })
	seedAcme(t, st)
	ctx := context.Background()
	if err := ses.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Worker.Run(ctx, integration.Job{TenantID: tenant, RunID: integration.NewRunID(clk.Now()), Trigger: integration.TriggerManual}); err != nil {
		t.Fatal(err)
	}
	return st
}

// Welcome emails go out once however often their jobs are delivered and
// however many mailers run, and throttling delays one without losing it.
func TestWelcomeSentOnce(t *testing.T) {
	st := importMailingThrottled(t, 4, &throttled{n: 1})
	ctx := context.Background()
	ev, err := st.Receive(ctx, "MailQueue", 10)
	if err != nil || len(ev.Records) != 2 {
		t.Fatalf("mail jobs: %v %d, want a job of 4 welcomes and a summary", err, len(ev.Records))
	}
	failures := make(chan events.SQSBatchItemFailure, 20)
	var wg sync.WaitGroup
	for range 2 { // two mailers, each given the batch twice
		wg.Go(func() {
			for range 2 {
				resp, err := st.MailerSQS(ctx, ev)
				if err != nil {
					t.Error(err)
				}
				for _, f := range resp.BatchItemFailures {
					failures <- f
				}
			}
		})
	}
	wg.Wait()
	close(failures)
	if len(failures) != 1 {
		t.Errorf("%d failures, want the throttled one", len(failures))
	}
	// The throttled email is delivered again later and goes out then.
	if resp, err := st.MailerSQS(ctx, ev); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("redelivery: %v %+v", err, resp)
	}
	sent := sentTo(t)
	want := map[string]int{"summary admin@acme.example": 1}
	for _, e := range staff(4) {
		want["welcome "+e.EmailID] = 1
	}
	if !maps.Equal(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	for id, m := range members(t, st) {
		if m.Welcome != engine.WelcomeSent {
			t.Errorf("%s welcome %s", id, m.Welcome)
		}
	}
}

// A welcome job that fails half way, its 11th send of 20 throttled, is
// delivered again and sends the 10 still owed only: no member gets two
// welcomes, none gets none.
func TestWelcomeJobFailingHalfWay(t *testing.T) {
	st := importMailingThrottled(t, 20, &throttled{after: 10, n: 1})
	ctx := context.Background()
	ev, err := st.Receive(ctx, "MailQueue", 10)
	if err != nil {
		t.Fatal(err)
	}
	job := slices.DeleteFunc(ev.Records, func(r events.SQSMessage) bool { return !strings.Contains(r.Body, `"welcome"`) })
	if len(job) != 1 {
		t.Fatalf("%d welcome jobs for 20 members, want 1", len(job))
	}
	ev.Records = job
	resp, err := st.MailerSQS(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Fatalf("the job throttled half way: %v %+v, want it failed for redelivery", err, resp)
	}
	if sent := sentTo(t); len(sent) != 10 {
		t.Errorf("%d welcomes sent before the throttle, want 10", len(sent))
	}
	if resp, err := st.MailerSQS(ctx, ev); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("redelivery: %v %+v", err, resp)
	}
	want := map[string]int{}
	for _, e := range staff(20) {
		want["welcome "+e.EmailID] = 1
	}
	if sent := sentTo(t); !maps.Equal(sent, want) {
		t.Errorf("sent %v, want one welcome each", sent)
	}
	for id, m := range members(t, st) {
		if m.Welcome != engine.WelcomeSent {
			t.Errorf("%s welcome %s", id, m.Welcome)
		}
	}
}

// Three runs in a row refused for the key take the integration off the
// schedule and email the admin once.
func TestRefusedKeyNeedsReauthorization(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	st := newStack(t, clk, staff(2), nil)
	st.StartConsumers(context.Background())
	ctx := context.Background()
	if err := ses.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	err := st.SeedTenant(ctx, stack.Tenant{
		ID: tenant, ProgrammeName: "Acme", AdminEmail: "admin@acme.example", APIKey: "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
		Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		run := runImport(t, st)
		waitMail(t, st, run.RunID)
		in, err := st.Store.GetIntegration(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		needs := i+1 >= integration.ReauthAfter
		if (in.State == integration.StateNeedsReauthorization) != needs || in.Scheduled() == needs {
			t.Fatalf("after run %d: state %s scheduled %v", i+1, in.State, in.Scheduled())
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if in, _ := st.Store.GetIntegration(ctx, tenant); in.ReauthNotice == integration.MailSent {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := sentTo(t); got["summary admin@acme.example"] != 5 { // 4 failed-run summaries + 1 notice
		t.Errorf("sent %v", got)
	}
}

// A job that can never succeed ends in the dead-letter queue after the
// receive limit, instead of blocking its tenant's queue for ever.
func TestPoisonJobEndsInTheDLQ(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	st := newStack(t, clk, nil, nil)
	ctx := context.Background()
	client := st.SQSClient()
	url := st.Resources.Ref("ImportsQueue")
	_, err := client.SendMessage(ctx, &sqsv1.SendMessageInput{
		QueueUrl: &url, MessageBody: aws.String("{not a job"), MessageGroupId: aws.String("acme"), MessageDeduplicationId: aws.String("poison"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		ev, err := st.Receive(ctx, "ImportsQueue", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.Records) == 0 {
			break
		}
		if i == 5 {
			t.Fatal("still in the queue after 5 receives")
		}
		resp, _ := st.WorkerSQS(ctx, ev)
		if len(resp.BatchItemFailures) != 1 {
			t.Fatalf("the poison job was not reported as failed: %+v", resp)
		}
		// As if its visibility timeout had passed.
		if _, err := client.ChangeMessageVisibility(ctx, &sqsv1.ChangeMessageVisibilityInput{
			QueueUrl: &url, ReceiptHandle: &ev.Records[0].ReceiptHandle, VisibilityTimeout: 0,
		}); err != nil {
			t.Fatal(err)
		}
	}
	dead, err := st.Receive(ctx, "ImportsDeadLetterQueue", 10)
	if err != nil || len(dead.Records) != 1 || dead.Records[0].Body != "{not a job" {
		t.Fatalf("DLQ: %v %+v", err, dead.Records)
	}
}
