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

// Publisher puts events on one bus.
type Publisher struct {
	api API
	bus string
}

// NewPublisher publishes to the bus named bus.
func NewPublisher(api API, bus string) *Publisher { return &Publisher{api: api, bus: bus} }

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
	entries := make([]types.PutEventsRequestEntry, len(evs))
	sizes := make([]int, len(evs))
	for i, e := range evs {
		detail, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("encode %s event: %w", e.Type, err)
		}
		entries[i] = types.PutEventsRequestEntry{
			EventBusName: &p.bus, Source: aws.String(Source), DetailType: aws.String(e.Type), Detail: aws.String(string(detail)),
		}
		sizes[i] = len(Source) + len(e.Type) + len(detail) + len(p.bus)
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
