package bench

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/peoplesync/peoplesync/internal/dynamo"
	"github.com/peoplesync/peoplesync/internal/events"
	"github.com/peoplesync/peoplesync/internal/queue"
)

// Item kinds, by partition key (see the README's table items).
const (
	KindMember = "member"
	KindOwner  = "email owner"
	KindLog    = "provisioning log"
	KindOther  = "run, lease, integration"
)

func itemKind(key map[string]types.AttributeValue) string {
	pk, _ := key["PK"].(*types.AttributeValueMemberS)
	switch {
	case pk == nil:
		return KindOther
	case strings.HasSuffix(pk.Value, "#M"):
		return KindMember
	case strings.Contains(pk.Value, "#EMAIL#"):
		return KindOwner
	case strings.Contains(pk.Value, "#LOG#"):
		return KindLog
	}
	return KindOther
}

// Counts are what a wrapper saw: calls per operation and items written per
// kind.
type Counts struct {
	Calls  map[string]int
	Writes map[string]int
	// Millis is the time spent in calls per operation, summed over calls
	// in flight at once.
	Millis map[string]int64 `json:",omitempty"`
	// WallMillis is the time with at least one call of the operation in
	// flight (SQS and EventBridge): what their calls cost the run.
	WallMillis map[string]int64 `json:",omitempty"`
	// RunMemberWrites are the member items written by a run: those its
	// writes stamp with lastRunId (the mailer's welcome states are not).
	RunMemberWrites int `json:",omitempty"`
}

// Total is the sum of calls.
func (c Counts) Total() int {
	n := 0
	for _, v := range c.Calls {
		n += v
	}
	return n
}

type counter struct {
	mu     sync.Mutex
	calls  map[string]int
	writes map[string]int
	millis map[string]int64
	// flying and since track the calls in flight per operation, wall the
	// time some were.
	flying map[string]int
	since  map[string]time.Time
	wall   map[string]int64
	runs   int
	// keep, when set, receives a copy of every item put (the floor
	// rewrites them).
	keep func(map[string]types.AttributeValue)
}

func (c *counter) call(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls, c.writes = map[string]int{}, map[string]int{}
	}
	c.calls[op]++
}

// wrote counts an item written; stamped says the write sets lastRunId.
func (c *counter) wrote(key map[string]types.AttributeValue, put, stamped bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls, c.writes = map[string]int{}, map[string]int{}
	}
	kind := itemKind(key)
	c.writes[kind]++
	if kind == KindMember && stamped {
		c.runs++
	}
	if put && c.keep != nil {
		c.keep(maps.Clone(key))
	}
}

// Take returns the counts so far and starts again from zero.
func (c *counter) Take() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := Counts{Calls: c.calls, Writes: c.writes, Millis: c.millis, WallMillis: c.wall, RunMemberWrites: c.runs}
	if out.Calls == nil {
		out = Counts{Calls: map[string]int{}, Writes: map[string]int{}}
	}
	c.calls, c.writes, c.millis, c.wall, c.runs = nil, nil, nil, nil, 0
	return out
}

// took adds the time since start to op's.
func (c *counter) took(op string, start time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.millis == nil {
		c.millis = map[string]int64{}
	}
	c.millis[op] += time.Since(start).Milliseconds()
}

// inFlight marks a call of op begun and the time it took; the func it
// returns marks it done.
func (c *counter) inFlight(op string) func() {
	start := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flying == nil {
		c.flying, c.since = map[string]int{}, map[string]time.Time{}
	}
	if c.flying[op]++; c.flying[op] == 1 {
		c.since[op] = start
	}
	return func() {
		c.took(op, start)
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.flying[op]--; c.flying[op] == 0 {
			if c.wall == nil {
				c.wall = map[string]int64{}
			}
			c.wall[op] += time.Since(c.since[op]).Milliseconds()
		}
	}
}

// DB counts a store's DynamoDB calls and the items they write.
type DB struct {
	dynamo.API
	counter
}

// Keep makes the wrapper hand a copy of every item put to fn (nil stops).
func (d *DB) Keep(fn func(map[string]types.AttributeValue)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keep = fn
}

func (d *DB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	d.call("GetItem")
	defer d.took("GetItem", time.Now())
	return d.API.GetItem(ctx, in, o...)
}

func (d *DB) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	d.call("Query")
	defer d.took("Query", time.Now())
	return d.API.Query(ctx, in, o...)
}

func (d *DB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	d.call("PutItem")
	defer d.took("PutItem", time.Now())
	_, stamped := in.Item["lastRunId"]
	d.wrote(in.Item, true, stamped)
	return d.API.PutItem(ctx, in, o...)
}

func (d *DB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	d.call("UpdateItem")
	defer d.took("UpdateItem", time.Now())
	d.wrote(in.Key, false, slices.Contains(slices.Collect(maps.Values(in.ExpressionAttributeNames)), "lastRunId"))
	return d.API.UpdateItem(ctx, in, o...)
}

func (d *DB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	d.call("DeleteItem")
	defer d.took("DeleteItem", time.Now())
	d.wrote(in.Key, false, true)
	return d.API.DeleteItem(ctx, in, o...)
}

func (d *DB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	d.call("BatchWriteItem")
	defer d.took("BatchWriteItem", time.Now())
	for _, reqs := range in.RequestItems {
		for _, r := range reqs {
			switch {
			case r.PutRequest != nil:
				d.wrote(r.PutRequest.Item, true, true)
			case r.DeleteRequest != nil:
				d.wrote(r.DeleteRequest.Key, false, true)
			}
		}
	}
	return d.API.BatchWriteItem(ctx, in, o...)
}

func (d *DB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	d.call("TransactWriteItems")
	defer d.took("TransactWriteItems", time.Now())
	for _, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			d.wrote(it.Put.Item, true, true)
		case it.Update != nil:
			d.wrote(it.Update.Key, false, true)
		case it.Delete != nil:
			d.wrote(it.Delete.Key, false, true)
		case it.ConditionCheck != nil:
			d.call("ConditionCheck")
		}
	}
	return d.API.TransactWriteItems(ctx, in, o...)
}

// SQS counts SendMessageBatch calls and the messages they carry.
type SQS struct {
	queue.API
	counter
}

func (s *SQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, o ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	s.call("SendMessageBatch")
	defer s.inFlight("SendMessageBatch")()
	s.mu.Lock()
	s.writes["messages"] += len(in.Entries)
	s.mu.Unlock()
	return s.API.SendMessageBatch(ctx, in, o...)
}

// Bus counts PutEvents calls and the events they carry.
type Bus struct {
	events.API
	counter
}

func (b *Bus) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, o ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	b.call("PutEvents")
	defer b.inFlight("PutEvents")()
	b.mu.Lock()
	b.writes["events"] += len(in.Entries)
	b.mu.Unlock()
	return b.API.PutEvents(ctx, in, o...)
}

// Purging empties a queue after every send and keeps the time it spent
// doing so. moto's SendMessage costs time in proportion to the messages
// already queued (it recomputes the queue's attributes, message counts
// included, for every message), so 10,000 welcome jobs in a queue nobody
// drains would take moto half an hour; SQS costs the same at any depth.
// The bench takes the purges' time out of the run's.
type Purging struct {
	Client *sqs.Client
	mu     sync.Mutex
	spent  time.Duration
	purges int
}

func (p *Purging) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, o ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	out, err := p.Client.SendMessageBatch(ctx, in, o...)
	if err != nil {
		return out, err
	}
	start := time.Now()
	_, perr := p.Client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: in.QueueUrl})
	p.mu.Lock()
	p.spent += time.Since(start)
	p.purges++
	p.mu.Unlock()
	return out, perr
}

// Spent is the time spent purging, and how many purges.
func (p *Purging) Spent() (time.Duration, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.spent, p.purges
}
