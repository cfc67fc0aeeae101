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

// Every member change and every import end is published for other systems.
func TestLifecycleEventsReachTheBus(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	st := newStack(t, clk, staff(3), nil)
	seedAcme(t, st)
	read := listen(t, st)
	job := func() integration.Job {
		return integration.Job{TenantID: tenant, RunID: integration.NewRunID(clk.Now()), Trigger: integration.TriggerManual}
	}
	if _, err := st.Worker.Run(context.Background(), job()); err != nil {
		t.Fatal(err)
	}
	got := summarize(read())
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
	evs := read()
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
