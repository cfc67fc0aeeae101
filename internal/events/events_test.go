package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// bus is EventBridge as the publisher sees it: it keeps what it accepts,
// fails the entries refuse says, and holds the first calls until block
// are in flight, so the test sees them overlap without timing them.
type bus struct {
	mu      sync.Mutex
	got     map[string]int // detail -> times put
	calls   []int          // entries per call
	bytes   []int          // entry bytes per call
	flying  int
	peak    int
	block   int
	release chan struct{}
	refuse  func(detail string, attempt int) bool
	tries   map[string]int
}

func newBus(block int) *bus {
	return &bus{got: map[string]int{}, tries: map[string]int{}, block: block, release: make(chan struct{})}
}

func (b *bus) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	b.mu.Lock()
	b.flying++
	b.peak = max(b.peak, b.flying)
	if b.flying == b.block && b.block > 0 {
		close(b.release)
		b.block = 0
	}
	release := b.release
	b.mu.Unlock()
	select {
	case <-release:
	case <-time.After(2 * time.Second): // fewer than block overlap: the peak says so
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.block > 0 {
		close(b.release)
		b.block = 0
	}
	b.flying--
	out := &eventbridge.PutEventsOutput{}
	size := 0
	for _, e := range in.Entries {
		d := aws.ToString(e.Detail)
		size += len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(d) + len(aws.ToString(e.EventBusName))
		b.tries[d]++
		if b.refuse != nil && b.refuse(d, b.tries[d]) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, types.PutEventsResultEntry{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("slow down")})
			continue
		}
		b.got[d]++
		out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String("id")})
	}
	b.calls, b.bytes = append(b.calls, len(in.Entries)), append(b.bytes, size)
	return out, nil
}

func memberEvents(n int, fields int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		f := make([]string, fields)
		for j := range f {
			f[j] = fmt.Sprintf("custom%d", j)
		}
		evs[i] = Event{Type: MemberCreated, Detail: Member{TenantID: "acme", RunID: "r1", EmployeeID: fmt.Sprintf("E%05d", i), Fields: f}}
	}
	return evs
}

// A run's events go in full batches of ten, eight calls in flight at once
// and never more, each event once.
func TestPublishSendsFullBatchesAtOnce(t *testing.T) {
	b := newBus(InFlight)
	if err := NewPublisher(b, "bus", ShapeEach).Publish(context.Background(), memberEvents(995, 3)...); err != nil {
		t.Fatal(err)
	}
	if len(b.calls) != 100 || b.calls[0] != 10 {
		t.Errorf("%d calls (%v...), want 100 of ten", len(b.calls), b.calls[:min(3, len(b.calls))])
	}
	if b.peak != InFlight {
		t.Errorf("%d calls in flight at most, want %d", b.peak, InFlight)
	}
	if len(b.got) != 995 {
		t.Errorf("%d events put, want 995", len(b.got))
	}
	for d, n := range b.got {
		if n != 1 {
			t.Errorf("%s put %d times", d, n)
		}
	}
}

// Large events go fewer to a call: none carries more than PutEvents'
// 256 KB.
func TestPublishKeepsCallsUnderTheSizeLimit(t *testing.T) {
	b := newBus(2)
	if err := NewPublisher(b, "bus", ShapeEach).Publish(context.Background(), memberEvents(40, 4000)...); err != nil {
		t.Fatal(err)
	}
	if len(b.got) != 40 || len(b.calls) <= 4 {
		t.Errorf("%d events in %d calls, want 40 in more than 4", len(b.got), len(b.calls))
	}
	for i, n := range b.bytes {
		if n > 256_000 {
			t.Errorf("call %d carries %d bytes", i, n)
		}
	}
}

// Entries EventBridge fails are put again, a bounded number of times; one
// that keeps failing fails the publish with what EventBridge said.
func TestPublishRetriesFailedEntries(t *testing.T) {
	evs := memberEvents(25, 1)
	b := newBus(1)
	b.refuse = func(d string, attempt int) bool { return strings.Contains(d, "E00007") && attempt < 3 }
	if err := NewPublisher(b, "bus", ShapeEach).Publish(context.Background(), evs...); err != nil {
		t.Fatalf("twice refused, then put: %v", err)
	}
	if len(b.got) != 25 {
		t.Errorf("%d events put, want 25", len(b.got))
	}
	b = newBus(1)
	b.refuse = func(d string, _ int) bool { return strings.Contains(d, "E00007") }
	err := NewPublisher(b, "bus", ShapeEach).Publish(context.Background(), evs...)
	if err == nil || !strings.Contains(err.Error(), "1 of 1 entries refused after 4 attempts, e.g. ThrottlingException") {
		t.Errorf("always refused: %v", err)
	}
	for d, n := range b.tries {
		if strings.Contains(d, "E00007") && n != attempts {
			t.Errorf("the refused event tried %d times, want %d", n, attempts)
		}
	}
	if errors.Is(err, context.Canceled) {
		t.Error("the error is the cancelled context, not EventBridge's refusal")
	}
}

// Batched, a run's member events fold into members.changed events, as
// many as fit each, every member once, in order, each entry the member
// event's detail with its type; other events stay as they are and keep
// their place, and members of another run start a new batch.
func TestPublishFoldsMemberEventsIntoBatches(t *testing.T) {
	evs := memberEvents(10_000, 12)
	evs[3].Type, evs[4].Type = MemberClosed, MemberUpdated
	evs[4].Detail = Member{TenantID: "acme", RunID: "r1", EmployeeID: "NEW", PreviousEmployeeID: "OLD", Fields: []string{"employeeId"}, Status: "active"}
	other := Member{TenantID: "acme", RunID: "r2", EmployeeID: "R2", Fields: []string{}}
	evs = append(evs, Event{Type: ImportCompleted, Detail: Import{TenantID: "acme", RunID: "r1"}}, Event{Type: MemberCreated, Detail: other})
	b := newBus(1)
	if err := NewPublisher(b, "bus", ShapeBatched).Publish(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
	// 10,000 entries of about 250 bytes are 2.5 MB: ten full calls, where
	// one event each would take 1,001.
	total := 0
	for _, n := range b.bytes {
		total += n
	}
	if full := (total + maxBytes - 1) / maxBytes; len(b.calls) > full+2 {
		t.Errorf("%d calls for %d bytes, want at most %d", len(b.calls), total, full+2)
	}
	var seen []string
	batches, imports := 0, 0
	for d := range b.got {
		if strings.Contains(d, `"counts"`) {
			imports++
			continue
		}
		var got struct {
			TenantID, RunID string
			Members         []struct {
				Type string
				Member
			}
		}
		if err := json.Unmarshal([]byte(d), &got); err != nil || len(got.Members) == 0 {
			t.Fatalf("a batch that does not read: %v %.200s", err, d)
		}
		if len(d) > maxBytes {
			t.Errorf("a batch of %d bytes", len(d))
		}
		batches++
		for _, m := range got.Members {
			if m.TenantID != got.TenantID || m.RunID != got.RunID {
				t.Errorf("entry %s of run %s in a batch of run %s", m.EmployeeID, m.RunID, got.RunID)
			}
			switch m.EmployeeID {
			case "E00003":
				if m.Type != MemberClosed {
					t.Errorf("E00003 is %s, want %s", m.Type, MemberClosed)
				}
			case "NEW":
				if m.Type != MemberUpdated || m.PreviousEmployeeID != "OLD" {
					t.Errorf("the relink reads %+v", m)
				}
			case "E00000":
				if m.Type != MemberCreated || len(m.Fields) != 12 {
					t.Errorf("E00000 reads %+v", m)
				}
			}
			seen = append(seen, m.RunID+"/"+m.EmployeeID)
		}
	}
	if imports != 1 || batches < 3 {
		t.Errorf("%d import events and %d batches, want 1 and at least 3 (10,000 members do not fit two)", imports, batches)
	}
	if len(seen) != 10_001 {
		t.Errorf("%d members in the batches, want 10,001", len(seen))
	}
	slices.Sort(seen)
	if len(slices.Compact(seen)) != 10_001 {
		t.Error("a member in two batches")
	}
}

// The order within a batch is the order of the changes.
func TestBatchesKeepTheOrder(t *testing.T) {
	b := newBus(1)
	if err := NewPublisher(b, "bus", ShapeBatched).Publish(context.Background(), memberEvents(5, 1)...); err != nil {
		t.Fatal(err)
	}
	for d := range b.got {
		if i, j := strings.Index(d, "E00001"), strings.Index(d, "E00004"); i < 0 || j < i {
			t.Errorf("out of order: %s", d)
		}
	}
	if len(b.got) != 1 {
		t.Errorf("%d events for 5 members, want 1", len(b.got))
	}
}

func TestParseShape(t *testing.T) {
	for in, want := range map[string]Shape{"": ShapeBatched, "batched": ShapeBatched, "each": ShapeEach} {
		if got, err := ParseShape(in); err != nil || got != want {
			t.Errorf("ParseShape(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseShape("Batched"); err == nil {
		t.Error("an unknown shape was read")
	}
}
