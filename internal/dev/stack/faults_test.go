package stack_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/files"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/wiring"
)

// failingS3 fails the first n error-file writes.
type failingS3 struct {
	files.S3API
	mu sync.Mutex
	n  int
}

func (f *failingS3) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail {
		return nil, errors.New("injected: S3 unavailable")
	}
	return f.S3API.PutObject(ctx, in, o...)
}

// faultCase is one row of the fault matrix: inject disturbs the second
// import, status is what that import must honestly say, and follow says
// whether it takes a later run to converge (the disturbed run failed).
type faultCase struct {
	name   string
	inject func(t *testing.T, h *harness)
	status integration.Status
	follow bool
}

// harness is the scenario of the crash test (staff(60), then the changed
// feed) with hooks for faults.
type harness struct {
	st     *stack.Stack
	clk    *clock
	ddb    *faulty
	s3     *failingS3
	writes *runWrites
}

func newHarness(t *testing.T) *harness {
	h := &harness{clk: &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}, ddb: &faulty{}, s3: &failingS3{}, writes: &runWrites{}}
	h.st = newStack(t, h.clk, staff(60), func(c *wiring.Clients) {
		h.writes.API = c.DynamoDB
		h.ddb.API = h.writes
		c.DynamoDB = h.ddb
		h.s3.S3API = c.S3
		c.S3 = h.s3
	})
	seedAcme(t, h.st)
	if run := h.deliver(t, h.job()); run.Counts.Created != 60 {
		t.Fatalf("first import: %+v", run)
	}
	h.clk.Set(h.clk.Now().Add(24 * time.Hour))
	h.st.Sandbox.SetEmployees(changedStaff())
	return h
}

func (h *harness) job() integration.Job {
	return integration.Job{TenantID: tenant, RunID: integration.NewRunID(h.clk.Now()), Trigger: integration.TriggerManual}
}

// deliver runs a job as the queue would: again after each error, once the
// lease has expired, up to 5 deliveries (the DLQ's receive limit).
func (h *harness) deliver(t *testing.T, job integration.Job) *integration.Run {
	t.Helper()
	var run *integration.Run
	var err error
	for range 5 {
		if run, err = h.st.Worker.Run(context.Background(), job); err == nil {
			return run
		}
		h.clk.Set(h.clk.Now().Add(3 * time.Minute))
	}
	t.Fatalf("job %s still failing after 5 deliveries: %v", job.RunID, err)
	return nil
}

func faultCases() []faultCase {
	sandbox := func(f peoplehrtest.Fault) func(*testing.T, *harness) {
		return func(_ *testing.T, h *harness) { h.st.Sandbox.InjectFault(f) }
	}
	return []faultCase{
		{"peoplehr 5xx then up", sandbox(peoplehrtest.Fault{Kind: peoplehrtest.FaultHTTP5xx, Times: 2}), integration.StatusSucceeded, false},
		{"peoplehr 5xx beyond retries", sandbox(peoplehrtest.Fault{Kind: peoplehrtest.FaultHTTP5xx, Times: 4}), integration.StatusFailed, true},
		{"peoplehr timeout", sandbox(peoplehrtest.Fault{Kind: peoplehrtest.FaultTimeout, Times: 1, Delay: 200 * time.Millisecond}), integration.StatusSucceeded, false},
		{"peoplehr connection reset", sandbox(peoplehrtest.Fault{Kind: peoplehrtest.FaultReset, Times: 2}), integration.StatusSucceeded, false},
		{"peoplehr truncated body", sandbox(peoplehrtest.Fault{Kind: peoplehrtest.FaultTruncate, Times: 2}), integration.StatusSucceeded, false},
		{"peoplehr slow stream", sandbox(peoplehrtest.Fault{Kind: peoplehrtest.FaultSlowStream, Times: 1, Delay: 2 * time.Millisecond}), integration.StatusSucceeded, false},
		{"peoplehr in-band status 6", sandbox(peoplehrtest.Fault{Kind: peoplehrtest.FaultInBandError, Times: 2}), integration.StatusSucceeded, false},
		{"peoplehr throttling", sandbox(peoplehrtest.Fault{Kind: peoplehrtest.FaultThrottle, Times: 1}), integration.StatusSucceeded, false},
		{"invalid key mid-life", func(t *testing.T, h *harness) {
			h.st.Sandbox.AddKey(peoplehrtest.DefaultAPIKey, peoplehrtest.PermissionNone)
		}, integration.StatusFailed, true},
		{"dynamodb throttling beyond the sdk's retries", func(_ *testing.T, h *harness) {
			n := 0
			h.ddb.set(func(op, pk, sk string) error {
				if n++; n == 3 || n == 8 || n == 15 { // three bursts the SDK gave up on
					return &types.ProvisionedThroughputExceededException{Message: stringPtr("injected")}
				}
				return nil
			})
		}, integration.StatusSucceeded, false},
		{"s3 down for the error file", func(_ *testing.T, h *harness) { h.s3.n = 2 }, integration.StatusSucceeded, false},
	}
}

func stringPtr(s string) *string { return &s }

// Every fault ends in the table an undisturbed run makes: no duplicate
// member, no lost change, no second welcome owed, and the disturbed run
// says honestly how it went.
func TestFaultMatrix(t *testing.T) {
	want, _ := crashScenario(t, 0)
	for _, fc := range faultCases() {
		t.Run(fc.name, func(t *testing.T) {
			h := newHarness(t)
			fc.inject(t, h)
			run := h.deliver(t, h.job())
			h.ddb.set(nil)
			h.st.Sandbox.ClearFaults()
			h.st.Sandbox.AddKey(peoplehrtest.DefaultAPIKey, peoplehrtest.PermissionEmployee)
			if run.Status != fc.status {
				t.Errorf("disturbed run: %s (%s), want %s", run.Status, run.FailureReason, fc.status)
			}
			if fc.follow {
				h.clk.Set(h.clk.Now().Add(time.Hour))
				run = h.deliver(t, h.job())
			}
			got := snap(t, h.st, run)
			if got.counts != want.counts {
				t.Errorf("counts %+v, want %+v", got.counts, want.counts)
			}
			if got.members != want.members || got.owners != want.owners {
				t.Errorf("the table differs from an undisturbed run's")
			}
			assertOneWelcomeEach(t, h.st)
		})
	}
}

// assertOneWelcomeEach checks that every member is owed at most one
// welcome, however many runs queued jobs naming it: the mailer claims
// each member's welcome on its item, once.
func assertOneWelcomeEach(t *testing.T, st *stack.Stack) {
	t.Helper()
	for id, m := range members(t, st) {
		if m.Welcome != engine.WelcomeOwed && m.Welcome != engine.WelcomeNotSent {
			t.Errorf("%s welcome %s before any mailer ran", id, m.Welcome)
		}
	}
}

// Two different jobs for one tenant at once: one runs, the other is
// deferred and, delivered again, finds nothing left to do.
func TestTwoJobsForOneTenantAtOnce(t *testing.T) {
	h := newHarness(t)
	jobs := []integration.Job{h.job(), {TenantID: tenant, RunID: integration.NewRunID(h.clk.Now()), Trigger: integration.TriggerSchedule}}
	errs := make([]error, 2)
	runs := make([]*integration.Run, 2)
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Go(func() { runs[i], errs[i] = h.st.Worker.Run(context.Background(), jobs[i]) })
	}
	wg.Wait()
	busy := 0
	for i, err := range errs {
		if err != nil {
			busy++
			runs[i] = h.deliver(t, jobs[i])
		}
	}
	if busy > 1 {
		t.Fatalf("both jobs were deferred: %v", errs)
	}
	changed := 0
	for _, r := range runs {
		if r.Counts.Changed() {
			changed++
		}
	}
	if busy == 1 && changed != 1 {
		t.Errorf("%d runs changed members, want 1: %+v %+v", changed, runs[0].Counts, runs[1].Counts)
	}
	want, _ := crashScenario(t, 0)
	if got := snap(t, h.st, runs[0]); got.members != want.members || got.owners != want.owners {
		t.Errorf("the table differs from a single run's")
	}

}

// Revoking the key during a run stops it after the batch in flight: it
// ends cancelled, counting only what it applied, and writes no more.
func TestRevokeDuringARunCancelsIt(t *testing.T) {
	h := newHarness(t)
	table := h.st.WorkerEnv["TABLE_NAME"]
	writes := 0
	h.ddb.set(func(op, pk, sk string) error {
		if pk != "T#"+tenant+"#M" && op != "TransactWriteItems" {
			return nil
		}
		h.clk.Set(h.clk.Now().Add(10 * time.Second)) // the run's revoke check is due at each progress tick
		if writes++; writes == 2 {
			_, err := rawDynamo().UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
				TableName: &table, UpdateExpression: stringPtr("REMOVE #k"), ExpressionAttributeNames: map[string]string{"#k": "key"},
				Key: map[string]types.AttributeValue{
					"PK": &types.AttributeValueMemberS{Value: "T#" + tenant}, "SK": &types.AttributeValueMemberS{Value: "INTEGRATION"},
				},
			})
			time.Sleep(1500 * time.Millisecond) // past the run's next progress tick (every second), which checks the key
			return err
		}
		return nil
	})
	run := h.deliver(t, h.job())
	applied := run.Counts.Created + run.Counts.Updated + run.Counts.Closed
	if run.Status != integration.StatusCancelled || !strings.Contains(run.FailureReason, "revoked") || applied == 0 || applied >= 13 {
		t.Fatalf("run %s %q %+v, want cancelled part way", run.Status, run.FailureReason, run.Counts)
	}
	if got := len(members(t, h.st)); got > 64 {
		t.Errorf("%d members", got)
	}
	t.Logf("cancelled after %d of 13 changes", applied)
}
