// Package events publishes the service's lifecycle events to an EventBridge
// bus, so that other systems can react to members and imports without
// polling. Delivery is at least once: a consumer keys on the event's
// tenant, run and employee ids.
//
// Every event has source "peoplesync" and one of these detail types, with
// the detail shapes below (JSON, camelCase, times RFC 3339 UTC). Details
// carry ids and field names, never field values: consumers read the member
// through the API when they need it.
//
//	member.created | member.updated | member.closed | member.reactivated
//	  {"tenantId","runId","employeeId","previousEmployeeId"?,"fields":[...],"status","occurredAt"}
//	members.changed (ShapeBatched, the default)
//	  {"tenantId","runId","members":[{"type":"member.created", ...that member event's detail}, ...]}
//	  the member events of one run, in the order they were made, as many
//	  as fit one event (about 1,000): each entry is the per-member detail
//	  above with its detail type in "type", so one handler serves both
//	member.joined
//	  {"tenantId","employeeId","status","occurredAt"} (no runId: the member
//	  redeemed an invitation through the platform API, no import did it)
//	import.completed | import.held
//	  {"tenantId","runId","trigger","status","counts":{...},"heldReason"?,"failureReason"?,"errorFile","finishedAt"}
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"golang.org/x/sync/errgroup"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// Source is every event's source.
const Source = "peoplesync"

// Detail types.
const (
	MemberCreated     = "member.created"
	MemberUpdated     = "member.updated"
	MemberClosed      = "member.closed"
	MemberReactivated = "member.reactivated"
	MembersChanged    = "members.changed"
	MemberJoined      = "member.joined"
	ImportCompleted   = "import.completed"
	ImportHeld        = "import.held"
)

// MemberType is the detail type of a member change of kind k.
func MemberType(k engine.Kind) string {
	switch k {
	case engine.KindCreate:
		return MemberCreated
	case engine.KindClose:
		return MemberClosed
	case engine.KindReactivate:
		return MemberReactivated
	}
	return MemberUpdated // updates and relinks
}

// Member is a member event's detail.
type Member struct {
	TenantID           string        `json:"tenantId"`
	RunID              string        `json:"runId"`
	EmployeeID         string        `json:"employeeId"`
	PreviousEmployeeID string        `json:"previousEmployeeId,omitempty"`
	Fields             []string      `json:"fields"`
	Status             engine.Status `json:"status"`
	OccurredAt         time.Time     `json:"occurredAt"`
}

// Joined is a member.joined event's detail.
type Joined struct {
	TenantID   string        `json:"tenantId"`
	EmployeeID string        `json:"employeeId"`
	Status     engine.Status `json:"status"`
	OccurredAt time.Time     `json:"occurredAt"`
}

// Import is an import event's detail.
type Import struct {
	TenantID      string        `json:"tenantId"`
	RunID         string        `json:"runId"`
	Trigger       string        `json:"trigger"`
	Status        string        `json:"status"`
	Counts        engine.Counts `json:"counts"`
	HeldReason    string        `json:"heldReason,omitempty"`
	FailureReason string        `json:"failureReason,omitempty"`
	ErrorFile     bool          `json:"errorFile"`
	FinishedAt    time.Time     `json:"finishedAt"`
}

// Event is one event to publish.
type Event struct {
	Type   string
	Detail any
}

// API is the part of the EventBridge client the publisher calls.
type API interface {
	PutEvents(context.Context, *eventbridge.PutEventsInput, ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Shape is how a run's member events are put on the bus.
type Shape string

const (
	// ShapeBatched folds a run's member events into members.changed
	// events, as many as fit each: a 10,000-employee first import puts
	// about 20 events in 20 calls instead of 10,000 in 1,000 (issue 18).
	ShapeBatched Shape = "batched"
	// ShapeEach puts one member.* event per member, for consumers whose
	// rules match on a member event's detail type.
	ShapeEach Shape = "each"
)

// ParseShape reads a MEMBER_EVENTS setting: "" is ShapeBatched.
func ParseShape(s string) (Shape, error) {
	switch Shape(s) {
	case "", ShapeBatched:
		return ShapeBatched, nil
	case ShapeEach:
		return ShapeEach, nil
	}
	return "", fmt.Errorf("member events %q: want %q or %q", s, ShapeBatched, ShapeEach)
}

// Publisher puts events on one bus.
type Publisher struct {
	api   API
	bus   string
	shape Shape
}

// NewPublisher publishes to the bus named bus, member events in shape.
func NewPublisher(api API, bus string, shape Shape) *Publisher {
	return &Publisher{api: api, bus: bus, shape: shape}
}

// maxEntries and maxBytes are EventBridge's limits per PutEvents (10
// entries, 256 KB of them: source, detail type, detail and bus, counted
// as EventBridge counts them), the latter less a margin; attempts bounds
// the resending of entries it failed (the SDK retries whole calls only).
const (
	maxEntries = 10
	maxBytes   = 250_000
	// InFlight bounds the calls one Publish makes at once.
	InFlight = 8
	attempts = 4
)

// Publish puts events in full batches, up to InFlight calls at once (a
// first import's 10,000 events are 1,000 calls: one after another they
// took longer than its table writes), resending failed entries with
// jittered backoff. On error, some events may have been published; a
// publish again publishes them again (delivery is at least once).
func (p *Publisher) Publish(ctx context.Context, evs ...Event) error {
	var entries []types.PutEventsRequestEntry
	var sizes []int
	put := func(typ string, detail []byte) {
		entries = append(entries, types.PutEventsRequestEntry{
			EventBusName: &p.bus, Source: aws.String(Source), DetailType: aws.String(typ), Detail: aws.String(string(detail)),
		})
		sizes = append(sizes, p.size(typ, len(detail)))
	}
	var fold folder
	for _, e := range evs {
		m, member := e.Detail.(Member)
		if !member || p.shape == ShapeEach {
			if err := fold.flush(put); err != nil {
				return err
			}
			detail, err := json.Marshal(e.Detail)
			if err != nil {
				return fmt.Errorf("encode %s event: %w", e.Type, err)
			}
			put(e.Type, detail)
			continue
		}
		if err := fold.add(e.Type, m, p, put); err != nil {
			return err
		}
	}
	if err := fold.flush(put); err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(InFlight)
	for start := 0; start < len(entries); {
		end, size := start, 0
		for end < len(entries) && end-start < maxEntries && (end == start || size+sizes[end] <= maxBytes) {
			size += sizes[end]
			end++
		}
		batch := entries[start:end]
		g.Go(func() error { return p.put(ctx, batch) })
		start = end
	}
	return g.Wait()
}

// size is an entry's size as EventBridge counts it.
func (p *Publisher) size(typ string, detail int) int {
	return len(Source) + len(typ) + detail + len(p.bus)
}

// folder gathers one run's member events into a members.changed event
// until the next would not fit one.
type folder struct {
	tenant, run string
	members     []json.RawMessage
	bytes       int
}

// entry is a member event's detail in a members.changed event: the same
// detail, its detail type beside it.
type entry struct {
	Type string `json:"type"`
	Member
}

// batch is a members.changed event's detail.
type batch struct {
	TenantID string            `json:"tenantId"`
	RunID    string            `json:"runId"`
	Members  []json.RawMessage `json:"members"`
}

// batchOverhead bounds the bytes of a batch's detail beyond its entries
// and their commas: the names, the ids (each at most 64 characters,
// escaped at most six bytes each) and the brackets.
const batchOverhead = 64 + 2*64*6

func (f *folder) add(typ string, m Member, p *Publisher, put func(string, []byte)) error {
	b, err := json.Marshal(entry{Type: typ, Member: m})
	if err != nil {
		return fmt.Errorf("encode %s event: %w", typ, err)
	}
	if len(f.members) > 0 && (f.tenant != m.TenantID || f.run != m.RunID || p.size(MembersChanged, f.bytes+len(b)+1+batchOverhead) > maxBytes) {
		if err := f.flush(put); err != nil {
			return err
		}
	}
	f.tenant, f.run = m.TenantID, m.RunID
	f.members = append(f.members, b)
	f.bytes += len(b) + 1
	return nil
}

func (f *folder) flush(put func(string, []byte)) error {
	if len(f.members) == 0 {
		return nil
	}
	detail, err := json.Marshal(batch{TenantID: f.tenant, RunID: f.run, Members: f.members})
	if err != nil {
		return fmt.Errorf("encode %s event: %w", MembersChanged, err)
	}
	put(MembersChanged, detail)
	*f = folder{}
	return nil
}

func (p *Publisher) put(ctx context.Context, batch []types.PutEventsRequestEntry) error {
	for attempt := 0; ; attempt++ {
		out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: batch})
		if err != nil {
			return fmt.Errorf("put events: %w", err)
		}
		if out.FailedEntryCount == 0 {
			return nil
		}
		var again []types.PutEventsRequestEntry
		for i, r := range out.Entries {
			if r.ErrorCode != nil && i < len(batch) {
				again = append(again, batch[i])
			}
		}
		if attempt+1 >= attempts || len(again) == 0 {
			return fmt.Errorf("put events: %d of %d entries refused after %d attempts, e.g. %s: %s", out.FailedEntryCount, len(batch), attempt+1,
				aws.ToString(failed(out.Entries).ErrorCode), aws.ToString(failed(out.Entries).ErrorMessage))
		}
		batch = again
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(rand.Int64N(int64(100*time.Millisecond) << attempt))):
		}
	}
}

// failed is the first failed entry's result.
func failed(results []types.PutEventsResultEntry) types.PutEventsResultEntry {
	for _, r := range results {
		if r.ErrorCode != nil {
			return r
		}
	}
	return types.PutEventsResultEntry{}
}
