package devstack

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// The tests below pin down what moto 5.2.5 does with the SQS behaviour the
// import pipeline relies on: FIFO deduplication by run id, ordering within
// a tenant's message group, visibility changes, redrive to a FIFO DLQ, and
// per-message delays. Where moto differs from SQS, the test asserts moto's
// behaviour and says how SQS differs, so the difference is covered by unit
// tests elsewhere rather than believed from here.

const fifoTemplate = `
Resources:
  Runs:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      ContentBasedDeduplication: false
      VisibilityTimeout: 30
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt RunsDLQ.Arn
        maxReceiveCount: 2
  RunsDLQ:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      ContentBasedDeduplication: false
  Delayed:
    Type: AWS::SQS::Queue
`

// fifoQueues provisions fresh queues for one test, so no test meets another's
// deduplication ids or in-flight messages.
func fifoQueues(t *testing.T) *Resources {
	t.Helper()
	tpl, err := ParseTemplate([]byte(fifoTemplate))
	if err != nil {
		t.Fatal(err)
	}
	res, prefix := provision(t, tpl, "fifo")
	if res.Name("Runs") != prefix+"Runs.fifo" || res.Name("RunsDLQ") != prefix+"RunsDLQ.fifo" {
		t.Fatalf("queue names %s, %s", res.Name("Runs"), res.Name("RunsDLQ"))
	}
	return res
}

// sendFIFO sends one message to a FIFO queue and returns its MessageId.
func sendFIFO(t *testing.T, url, group, dedup, body string) string {
	t.Helper()
	out, err := clients.SQS.SendMessage(t.Context(), &sqs.SendMessageInput{
		QueueUrl:               aws.String(url),
		MessageBody:            aws.String(body),
		MessageGroupId:         aws.String(group),
		MessageDeduplicationId: aws.String(dedup),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.MessageId)
}

// receiveN makes one ReceiveMessage call without waiting, asking for the
// group id and receive count too.
func receiveN(t *testing.T, url string, max int32) []sqstypes.Message {
	t.Helper()
	out, err := clients.SQS.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(url),
		MaxNumberOfMessages: max,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{
			sqstypes.MessageSystemAttributeNameMessageGroupId,
			sqstypes.MessageSystemAttributeNameApproximateReceiveCount,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

// drain receives and deletes until the queue returns nothing, and returns
// the bodies in the order received.
func drain(t *testing.T, url string) []string {
	t.Helper()
	var bodies []string
	for {
		msgs := receiveN(t, url, 10)
		if len(msgs) == 0 {
			return bodies
		}
		for _, m := range msgs {
			bodies = append(bodies, aws.ToString(m.Body))
			deleteMessage(t, url, m)
		}
	}
}

func deleteMessage(t *testing.T, url string, m sqstypes.Message) {
	t.Helper()
	if _, err := clients.SQS.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
}

func makeVisible(t *testing.T, url string, m sqstypes.Message) {
	t.Helper()
	_, err := clients.SQS.ChangeMessageVisibility(t.Context(), &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(url),
		ReceiptHandle:     m.ReceiptHandle,
		VisibilityTimeout: 0,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func bodiesOf(msgs []sqstypes.Message) string {
	var b []string
	for _, m := range msgs {
		b = append(b, aws.ToString(m.Body))
	}
	return strings.Join(b, ",")
}

func TestMotoSQSFIFO(t *testing.T) {
	t.Run("batch deduplication", func(t *testing.T) {
		ctx := t.Context()
		url := fifoQueues(t).Ref("Runs")
		batch := func(ids ...int) *sqs.SendMessageBatchOutput {
			t.Helper()
			var entries []sqstypes.SendMessageBatchRequestEntry
			for _, i := range ids {
				entries = append(entries, sqstypes.SendMessageBatchRequestEntry{
					Id:                     aws.String("e" + strconv.Itoa(i)),
					MessageBody:            aws.String("run-" + strconv.Itoa(i)),
					MessageGroupId:         aws.String("tenant-a"),
					MessageDeduplicationId: aws.String("run-" + strconv.Itoa(i)),
				})
			}
			out, err := clients.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Failed) != 0 || len(out.Successful) != len(ids) {
				t.Fatalf("batch of %d: %d successful, failed %+v", len(ids), len(out.Successful), out.Failed)
			}
			return out
		}
		first := batch(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
		original := map[string]string{} // entry id -> MessageId
		for _, s := range first.Successful {
			original[aws.ToString(s.Id)] = aws.ToString(s.MessageId)
		}

		// A duplicate sent alone, with another body: accepted, not enqueued.
		dupID := sendFIFO(t, url, "tenant-a", "run-3", "run-3 again")
		// A second batch with two duplicates and one new id: every entry is
		// reported successful, as SQS does.
		second := batch(0, 1, 10)

		// SQS answers a duplicate with the original message's MessageId;
		// moto makes up a new one for a message it never enqueues (and its
		// SequenceNumbers are random digits, not increasing as in SQS).
		// Nothing may use the MessageId of a send to recognise a duplicate.
		if dupID == original["e3"] {
			t.Errorf("moto returned the original MessageId for a duplicate SendMessage")
		}
		for _, s := range second.Successful {
			if id := aws.ToString(s.Id); id != "e10" && aws.ToString(s.MessageId) == original[id] {
				t.Errorf("moto returned the original MessageId for duplicate batch entry %s", id)
			}
		}

		got := drain(t, url)
		want := "run-0,run-1,run-2,run-3,run-4,run-5,run-6,run-7,run-8,run-9,run-10"
		if strings.Join(got, ",") != want {
			t.Errorf("received %d messages %v, want the 11 distinct ones in order", len(got), got)
		}
	})

	t.Run("deduplication after delete", func(t *testing.T) {
		url := fifoQueues(t).Ref("Runs")
		sendFIFO(t, url, "tenant-a", "run-1", "first")
		if got := drain(t, url); strings.Join(got, ",") != "first" {
			t.Fatalf("received %v", got)
		}
		sendFIFO(t, url, "tenant-a", "run-1", "second")
		// SQS remembers a deduplication id for 5 minutes even after the
		// message is deleted, and would deliver nothing here. moto only
		// compares with messages still in the queue, so the resend of a
		// run that was already processed is delivered again: the
		// consumer's own idempotency is what a test here exercises.
		if got := drain(t, url); strings.Join(got, ",") != "second" {
			t.Errorf("received %v after resending a deleted message's deduplication id, want it delivered again (moto 5.2.5; SQS would deliver nothing)", got)
		}
	})

	t.Run("group ordering", func(t *testing.T) {
		url := fifoQueues(t).Ref("Runs")
		sendFIFO(t, url, "tenant-a", "a1", "a1")
		sendFIFO(t, url, "tenant-a", "a2", "a2")
		sendFIFO(t, url, "tenant-b", "b1", "b1")

		first := receiveN(t, url, 1)
		if bodiesOf(first) != "a1" {
			t.Fatalf("first receive %s, want a1", bodiesOf(first))
		}
		if g := first[0].Attributes[string(sqstypes.MessageSystemAttributeNameMessageGroupId)]; g != "tenant-a" {
			t.Errorf("MessageGroupId %q", g)
		}
		// While a1 is in flight, SQS withholds the rest of tenant-a's group
		// and still serves other groups. moto does the same.
		if got := bodiesOf(receiveN(t, url, 10)); got != "b1" {
			t.Errorf("receive with a1 in flight: %q, want only b1", got)
		}
		deleteMessage(t, url, first[0])
		if got := bodiesOf(receiveN(t, url, 10)); got != "a2" {
			t.Errorf("receive after deleting a1: %q, want a2", got)
		}
	})

	t.Run("one receive returns a group in order", func(t *testing.T) {
		// SQS may return several messages of one group in one receive, in
		// order; moto returns all it has.
		url := fifoQueues(t).Ref("Runs")
		for i := range 3 {
			sendFIFO(t, url, "tenant-a", fmt.Sprint("m", i), fmt.Sprint("m", i))
		}
		if got := bodiesOf(receiveN(t, url, 10)); got != "m0,m1,m2" {
			t.Errorf("received %q", got)
		}
	})

	t.Run("visibility 0", func(t *testing.T) {
		url := fifoQueues(t).Ref("Runs")
		sendFIFO(t, url, "tenant-a", "v1", "v1")
		msgs := receiveN(t, url, 1)
		if len(msgs) != 1 {
			t.Fatalf("received %d", len(msgs))
		}
		if got := receiveN(t, url, 1); len(got) != 0 {
			t.Fatalf("in-flight message received again: %s", bodiesOf(got))
		}
		makeVisible(t, url, msgs[0])
		again := receiveN(t, url, 1)
		if bodiesOf(again) != "v1" {
			t.Fatalf("after ChangeMessageVisibility 0: %q", bodiesOf(again))
		}
		if n := again[0].Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)]; n != "2" {
			t.Errorf("ApproximateReceiveCount %q, want 2", n)
		}
		if again[0].ReceiptHandle == msgs[0].ReceiptHandle {
			t.Error("same receipt handle on the second receive")
		}
	})

	t.Run("redrive to FIFO DLQ", func(t *testing.T) {
		res := fifoQueues(t)
		url, dlq := res.Ref("Runs"), res.Ref("RunsDLQ")
		sendFIFO(t, url, "tenant-a", "poison", "poison")
		// Two receives without a delete use up maxReceiveCount 2; the next
		// receive moves the message to the DLQ instead of returning it, as
		// in SQS.
		for i := range 2 {
			msgs := receiveN(t, url, 1)
			if len(msgs) != 1 {
				t.Fatalf("receive %d: %d messages", i+1, len(msgs))
			}
			makeVisible(t, url, msgs[0])
		}
		if got := receiveN(t, url, 10); len(got) != 0 {
			t.Errorf("third receive returned %q, want the message redriven", bodiesOf(got))
		}
		moved := receiveN(t, dlq, 10)
		if bodiesOf(moved) != "poison" {
			t.Fatalf("DLQ holds %q", bodiesOf(moved))
		}
		if g := moved[0].Attributes[string(sqstypes.MessageSystemAttributeNameMessageGroupId)]; g != "tenant-a" {
			t.Errorf("MessageGroupId in the DLQ %q, want tenant-a kept", g)
		}
	})

	t.Run("per-message delay refused on FIFO", func(t *testing.T) {
		// SQS allows DelaySeconds only on a FIFO queue as a whole, and so
		// does moto.
		url := fifoQueues(t).Ref("Runs")
		_, err := clients.SQS.SendMessage(t.Context(), &sqs.SendMessageInput{
			QueueUrl:               aws.String(url),
			MessageBody:            aws.String("late"),
			MessageGroupId:         aws.String("tenant-a"),
			MessageDeduplicationId: aws.String("late"),
			DelaySeconds:           2,
		})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || !strings.Contains(apiErr.ErrorCode(), "InvalidParameterValue") {
			t.Errorf("error %v, want InvalidParameterValue", err)
		}
	})

	t.Run("standard queue per-message delay", func(t *testing.T) {
		ctx := t.Context()
		url := fifoQueues(t).Ref("Delayed")
		sent := time.Now()
		_, err := clients.SQS.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl:     aws.String(url),
			MessageBody:  aws.String("later"),
			DelaySeconds: 2,
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := receiveN(t, url, 1); len(got) != 0 {
			t.Fatalf("delayed message received at once")
		}
		// moto honours the delay, as SQS does: a long poll sees the message
		// once the delay is over.
		out, err := clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5})
		if err != nil {
			t.Fatal(err)
		}
		if bodiesOf(out.Messages) != "later" {
			t.Fatalf("long poll received %q", bodiesOf(out.Messages))
		}
		if waited := time.Since(sent); waited < 1500*time.Millisecond {
			t.Errorf("message received %v after sending, before its 2 s delay", waited)
		}
	})
}
