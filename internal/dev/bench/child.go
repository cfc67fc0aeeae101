package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"golang.org/x/sync/errgroup"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dynamo"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/wiring"
)

// A worker run is measured in a process of its own, as Lambda runs it: its
// peak RSS is then the worker's alone, not the sandbox's or the bench's.
// The bench starts itself again with ChildFlag and a request on stdin; the
// child answers one JSON line on stdout.

// ChildFlag is the first argument that makes cmd/bench a child.
const ChildFlag = "-bench-child"

// RunRequest asks a child to run one job with the worker as wiring builds
// it for Lambda.
type RunRequest struct {
	Endpoint string            // moto
	Env      map[string]string // the worker's environment
	// MemoryMB is the worker's memory size: the child's runtime is set
	// from it and from the environment's GOGC as Lambda's would be.
	MemoryMB int
	Now      time.Time // the functions' clock
	Job      integration.Job
	// Sink acknowledges, without sending, the writes whose number grows
	// with the tenant (member, email owner and log items, mail jobs,
	// events): the run builds every request as usual, so its memory is
	// what it would be, but moto is not asked to store 300,000 items.
	Sink bool
	// FloorMembersTable and FloorItemsTable, when set, receive after the
	// run, with plain BatchWriteItem at the worker's write concurrency, the
	// member items the run put and every item it put.
	FloorMembersTable, FloorItemsTable string
	// MarkWelcomesSent stores, after the run, every member it created with
	// its welcome sent, as the mailer would leave them.
	MarkWelcomesSent bool
}

// RunResult is what a child measured.
type RunResult struct {
	// Seconds is the run's wall time less PurgeSeconds, the time spent
	// emptying the mail queue after each send (see Purging).
	Seconds      float64
	PurgeSeconds float64
	Purges       int
	Status       integration.Status
	Counts       engine.Counts
	DB           Counts
	SQS          Counts
	Bus          Counts
	Memory       Memory
	Error        string `json:",omitempty"`
	Failure      string `json:",omitempty"`
	Finished     bool
	// The floors, when asked for.
	FloorMembers, FloorItems Floor
}

// Memory is a child's peak memory.
type Memory struct {
	PeakRSS   int64 // VmHWM: what Lambda bills and kills for
	StartRSS  int64 // before the work began
	PeakHeap  int64 // largest live+unswept heap seen (sampled every 5 ms)
	AllocTotl int64 // bytes allocated over the work
}

// MB is bytes in MB (10^6).
func MB(b int64) float64 { return float64(b) / 1e6 }

// NaiveRequest asks a child to read a feed the naive way.
type NaiveRequest struct{ URL, APIKey string }

// NaiveResult is the naive read's memory.
type NaiveResult struct {
	Records int
	Memory  Memory
	Error   string `json:",omitempty"`
}

// Child runs the child side; args follow ChildFlag.
func Child(args []string, in io.Reader, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("child: what to do?")
	}
	var res any
	switch args[0] {
	case "run":
		var req RunRequest
		if err := json.NewDecoder(in).Decode(&req); err != nil {
			return err
		}
		res = childRun(req)
	case "naive":
		var req NaiveRequest
		if err := json.NewDecoder(in).Decode(&req); err != nil {
			return err
		}
		res = childNaive(req)
	default:
		return fmt.Errorf("child: unknown %q", args[0])
	}
	return json.NewEncoder(out).Encode(res)
}

// processEnv is what the child's process starts with beside the bench's
// environment: what the Go runtime reads before main (GOGC), and the
// memory size Lambda tells a function.
func (r RunRequest) processEnv() []string {
	env := []string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(r.MemoryMB)}
	if v, ok := r.Env["GOGC"]; ok {
		env = append(env, "GOGC="+v)
	}
	return env
}

func childRun(req RunRequest) RunResult {
	var res RunResult
	wiring.LimitMemory(os.Getenv)
	cfg := devstack.AWSConfig(req.Endpoint)
	clients := wiring.NewClients(cfg, "")
	db := &DB{API: clients.DynamoDB}
	purging := &Purging{Client: sqs.NewFromConfig(cfg)}
	q := &SQS{API: purging}
	bus := &Bus{API: clients.EventBridge}
	clients.DynamoDB, clients.SQS, clients.EventBridge = db, q, bus
	if req.Sink {
		db.API = &sinkDB{API: db.API}
		q.API, bus.API = sinkSQS{}, sinkBus{}
	}
	now := req.Now
	w, err := wiring.Worker(clients, req.Env, slog.New(slog.DiscardHandler), func() time.Time { return now })
	if err != nil {
		res.Error = err.Error()
		return res
	}
	var members, items []map[string]dbtypes.AttributeValue
	if req.FloorMembersTable != "" || req.MarkWelcomesSent {
		db.Keep(func(item map[string]dbtypes.AttributeValue) {
			switch itemKind(item) {
			case KindMember:
				members = append(members, item)
				items = append(items, item)
			case KindOwner, KindLog:
				items = append(items, item)
			}
		})
	}
	m := startMemory()
	start := time.Now()
	run, err := w.Run(context.Background(), req.Job)
	elapsed := time.Since(start)
	res.Memory = m.stop()
	db.Keep(nil)
	purged, purges := purging.Spent()
	res.Seconds, res.PurgeSeconds, res.Purges = (elapsed - purged).Seconds(), purged.Seconds(), purges
	if err != nil {
		res.Error = err.Error()
	}
	if run != nil {
		res.Status, res.Counts, res.Failure, res.Finished = run.Status, run.Counts, run.FailureReason, run.Status.Finished()
	}
	res.DB, res.SQS, res.Bus = db.Take(), q.Take(), bus.Take()
	if res.Error != "" {
		return res
	}
	raw := dynamodb.NewFromConfig(cfg)
	// The floors write at the worker's concurrency.
	writers := dynamo.DefaultConcurrency
	if n, err := strconv.Atoi(req.Env["DYNAMO_WRITE_CONCURRENCY"]); err == nil && n > 0 {
		writers = n
	}
	for _, f := range []struct {
		table string
		items []map[string]dbtypes.AttributeValue
		out   *Floor
	}{{req.FloorMembersTable, members, &res.FloorMembers}, {req.FloorItemsTable, items, &res.FloorItems}} {
		if f.table == "" {
			continue
		}
		start := time.Now()
		if err := WriteItems(context.Background(), raw, f.table, f.items, writers); err != nil {
			res.Error = err.Error()
			return res
		}
		*f.out = Floor{Items: len(f.items), Seconds: time.Since(start).Seconds()}
	}
	if req.MarkWelcomesSent {
		sentAt := &dbtypes.AttributeValueMemberS{Value: req.Now.UTC().Format(time.RFC3339)}
		for _, item := range members {
			item["welcome"], item["welcomeAt"] = &dbtypes.AttributeValueMemberS{Value: string(engine.WelcomeSent)}, sentAt
		}
		if err := WriteItems(context.Background(), raw, req.Env["TABLE_NAME"], members, writers); err != nil {
			res.Error = err.Error()
		}
	}
	return res
}

// WriteItems is the write floor: items put with plain BatchWriteItem, 25 a
// call, on writers goroutines, resubmitting what comes back unprocessed.
func WriteItems(ctx context.Context, db *dynamodb.Client, table string, items []map[string]dbtypes.AttributeValue, writers int) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(writers, 1))
	for start := 0; start < len(items); start += 25 {
		batch := items[start:min(start+25, len(items))]
		g.Go(func() error {
			reqs := make([]dbtypes.WriteRequest, len(batch))
			for i, item := range batch {
				reqs[i] = dbtypes.WriteRequest{PutRequest: &dbtypes.PutRequest{Item: item}}
			}
			pending := map[string][]dbtypes.WriteRequest{table: reqs}
			for len(pending[table]) > 0 {
				out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
				if err != nil {
					return fmt.Errorf("floor write: %w", err)
				}
				pending = out.UnprocessedItems
			}
			return nil
		})
	}
	return g.Wait()
}

func childNaive(req NaiveRequest) NaiveResult {
	var res NaiveResult
	os.Unsetenv("BENCH_HEAPPROFILE") // profiles are for the product's runs
	m := startMemory()
	body, err := Fetch(context.Background(), req.URL, req.APIKey, nil)
	var recs any
	if err == nil {
		recs, err = NaiveDecode(bytes.NewReader(body))
	}
	body = nil
	if err != nil {
		res.Error = err.Error()
	}
	if r, ok := recs.([]map[string]any); ok {
		res.Records = len(r)
	}
	res.Memory = m.stop()
	runtime.KeepAlive(recs)
	return res
}

// CallChild runs self as a child with req and decodes its answer into res.
func CallChild(ctx context.Context, self, what string, req, res any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, ChildFlag, what)
	if r, ok := req.(RunRequest); ok {
		cmd.Env = append(os.Environ(), r.processEnv()...)
	}
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("child %s: %w\n%s", what, err, stderr.String())
	}
	return json.Unmarshal(stdout.Bytes(), res)
}

// memoryWatch samples the heap while work runs.
type memoryWatch struct {
	done     chan struct{}
	wg       sync.WaitGroup
	peak     int64
	startRSS int64
	alloc0   uint64
}

func startMemory() *memoryWatch {
	runtime.GC()
	m := &memoryWatch{done: make(chan struct{}), startRSS: procStatus("VmRSS")}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.alloc0 = ms.TotalAlloc
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	// BENCH_HEAPPROFILE names a file that receives a heap profile each
	// time the heap grows a tenth past its last profile: the last one shows
	// what was live at the peak.
	profile, profiled := os.Getenv("BENCH_HEAPPROFILE"), int64(16<<20)
	m.wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := int64(sample[0].Value.Uint64()); v > m.peak {
				m.peak = v
				if profile != "" && v > profiled*11/10 {
					profiled = v
					if f, err := os.Create(profile); err == nil {
						_ = pprof.WriteHeapProfile(f)
						f.Close()
					}
				}
			}
			select {
			case <-m.done:
				return
			case <-t.C:
			}
		}
	})
	return m
}

func (m *memoryWatch) stop() Memory {
	close(m.done)
	m.wg.Wait()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Memory{PeakRSS: procStatus("VmHWM"), StartRSS: m.startRSS, PeakHeap: m.peak, AllocTotl: int64(ms.TotalAlloc - m.alloc0)}
}

// procStatus reads a kB figure of /proc/self/status, in bytes.
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1000
		}
	}
	return 0
}

// sinkDB acknowledges member, owner and log writes without sending them;
// everything else (lease, run record, integration, reads) goes to moto.
type sinkDB struct{ dynamo.API }

func sunk(key map[string]dbtypes.AttributeValue) bool { return itemKind(key) != KindOther }

func (s *sinkDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if sunk(in.Item) {
		return &dynamodb.PutItemOutput{}, nil
	}
	return s.API.PutItem(ctx, in, o...)
}

func (s *sinkDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if sunk(in.Key) {
		return &dynamodb.UpdateItemOutput{}, nil
	}
	return s.API.UpdateItem(ctx, in, o...)
}

func (s *sinkDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if sunk(in.Key) {
		return &dynamodb.DeleteItemOutput{}, nil
	}
	return s.API.DeleteItem(ctx, in, o...)
}

func (s *sinkDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	for _, reqs := range in.RequestItems {
		for _, r := range reqs {
			if (r.PutRequest != nil && !sunk(r.PutRequest.Item)) || (r.DeleteRequest != nil && !sunk(r.DeleteRequest.Key)) {
				return s.API.BatchWriteItem(ctx, in, o...)
			}
		}
	}
	return &dynamodb.BatchWriteItemOutput{}, nil
}

func (s *sinkDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

// sinkSQS and sinkBus accept every message and event.
type sinkSQS struct{}

func (sinkSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("sunk")})
	}
	return out, nil
}

type sinkBus struct{}

func (sinkBus) PutEvents(context.Context, *eventbridge.PutEventsInput, ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	return &eventbridge.PutEventsOutput{}, nil
}
