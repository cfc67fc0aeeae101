package stack_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/events"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// listen routes every peoplesync event on the stack's bus to a new queue,
// as another system would subscribe, and returns a reader of that queue.
func listen(t *testing.T, st *stack.Stack) func() []map[string]any {
	t.Helper()
	ctx := context.Background()
	clients := devstack.NewClients(devstack.AWSConfig(moto.Endpoint()))
	q, err := clients.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(st.Resources.Name("EventBus") + "-listener")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	bus := st.Resources.Name("EventBus")
	if _, err := clients.EventBridge.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String("all-" + bus), EventBusName: &bus, EventPattern: aws.String(`{"source":["peoplesync"]}`),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := clients.EventBridge.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String("all-" + bus), EventBusName: &bus,
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(attrs.Attributes["QueueArn"])}},
	}); err != nil {
		t.Fatal(err)
	}
	return func() []map[string]any {
		var out []map[string]any
		for {
			msgs, err := clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs.Messages) == 0 {
				return out
			}
			for _, m := range msgs.Messages {
				var ev map[string]any
				if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
					t.Fatalf("event %s: %v", aws.ToString(m.Body), err)
				}
				out = append(out, ev)
				if _, err := clients.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// memberEvents are the events as a consumer reads them: a members.changed
// event's entries each as the member event it stands for (its detail
// type in "type"), every other event as it is.
func memberEvents(t *testing.T, evs []map[string]any, shape events.Shape) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ev := range evs {
		d, _ := ev["detail"].(map[string]any)
		if ev["detail-type"] != events.MembersChanged {
			if shape == events.ShapeBatched && strings.HasPrefix(ev["detail-type"].(string), "member.") {
				t.Errorf("batched, yet a %s event", ev["detail-type"])
			}
			out = append(out, ev)
			continue
		}
		if shape == events.ShapeEach {
			t.Errorf("one event per member, yet a batch: %v", d)
		}
		for _, m := range d["members"].([]any) {
			m := m.(map[string]any)
			if m["tenantId"] != d["tenantId"] || m["runId"] != d["runId"] {
				t.Errorf("entry %v in the batch of %v", m, d["runId"])
			}
			out = append(out, map[string]any{"source": ev["source"], "detail-type": m["type"], "detail": m})
		}
	}
	return out
}

func summarize(evs []map[string]any) []string {
	var out []string
	for _, ev := range evs {
		d, _ := ev["detail"].(map[string]any)
		id, _ := d["employeeId"].(string)
		if id == "" {
			id, _ = d["status"].(string)
		}
		out = append(out, ev["detail-type"].(string)+" "+id)
	}
	slices.Sort(out)
	return out
}

// Every member change and every import end is published for other
// systems, in either shape the template offers: the member events folded
// into batches (the default), or one each.
func TestLifecycleEventsReachTheBus(t *testing.T) {
	for _, shape := range []events.Shape{events.ShapeBatched, events.ShapeEach} {
		t.Run(string(shape), func(t *testing.T) { testLifecycleEvents(t, shape) })
	}
}

func testLifecycleEvents(t *testing.T, shape events.Shape) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	st := startWith(t, stack.Options{Employees: staff(3), Now: clk.Now, Log: testLog(t), MemberEvents: string(shape)})
	seedAcme(t, st)
	read := listen(t, st)
	job := func() integration.Job {
		return integration.Job{TenantID: tenant, RunID: integration.NewRunID(clk.Now()), Trigger: integration.TriggerManual}
	}
	if _, err := st.Worker.Run(context.Background(), job()); err != nil {
		t.Fatal(err)
	}
	got := summarize(memberEvents(t, read(), shape))
	want := []string{"import.completed succeeded", "member.created SAA", "member.created SAB", "member.created SAC"}
	if !slices.Equal(got, want) {
		t.Fatalf("events after the first import:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	es := staff(3)
	es[0].Department = "Marketing"
	es[1] = left(es[1], "2026-03-09")
	st.Sandbox.SetEmployees(es)
	clk.Set(clk.Now().Add(time.Hour))
	if _, err := st.Worker.Run(context.Background(), job()); err != nil {
		t.Fatal(err)
	}
	evs := memberEvents(t, read(), shape)
	got = summarize(evs)
	want = []string{"import.completed succeeded", "member.closed SAB", "member.updated SAA"}
	if !slices.Equal(got, want) {
		t.Fatalf("events after the second import:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, ev := range evs {
		d := ev["detail"].(map[string]any)
		if ev["source"] != "peoplesync" || d["tenantId"] != tenant || d["runId"] == "" {
			t.Errorf("event %v", ev)
		}
		if ev["detail-type"] == "member.updated" && !slices.Contains(d["fields"].([]any), any("department")) {
			t.Errorf("the update names its fields: %v", d)
		}
		raw, _ := json.Marshal(d)
		if strings.Contains(string(raw), "Marketing") || strings.Contains(string(raw), "@acme.example") {
			t.Errorf("an event carries member values: %s", raw)
		}
	}
}
