package stack

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQSHandler is a Lambda handler for SQS events with partial batch responses.
type SQSHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// poll does what Lambda's SQS event source mapping does: receive a batch,
// hand it to the handler, delete what succeeded and leave the failures to
// come back after the visibility timeout. It returns when ctx ends.
func poll(ctx context.Context, client *sqs.Client, queueURL, queueArn string, batch int32, wait time.Duration, h SQSHandler, log *slog.Logger) {
	for ctx.Err() == nil {
		ev, err := receive(ctx, client, queueURL, queueArn, batch, wait)
		if err != nil {
			if !errors.Is(err, context.Canceled) && ctx.Err() == nil {
				log.Warn("receive from queue", "queue", queueURL, "error", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if len(ev.Records) == 0 {
			continue
		}
		resp, err := h(ctx, ev)
		if err != nil {
			log.Error("handler failed the whole batch", "queue", queueURL, "error", err)
			continue
		}
		failed := make(map[string]bool, len(resp.BatchItemFailures))
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for _, m := range ev.Records {
			if failed[m.MessageId] {
				continue
			}
			if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &queueURL, ReceiptHandle: &m.ReceiptHandle}); err != nil {
				log.Warn("delete message", "queue", queueURL, "error", err)
			}
		}
	}
}

// receive takes up to batch messages as the Lambda event they would be.
func receive(ctx context.Context, client *sqs.Client, queueURL, queueArn string, batch int32, wait time.Duration) (events.SQSEvent, error) {
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: &queueURL, MaxNumberOfMessages: batch, WaitTimeSeconds: int32(wait / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		return events.SQSEvent{}, err
	}
	ev := events.SQSEvent{}
	for _, m := range out.Messages {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Attributes: m.Attributes, EventSource: "aws:sqs", EventSourceARN: queueArn,
		})
	}
	return ev, nil
}

// SQSClient is the stack's SQS client, for tests that drive queues by hand.
func (s *Stack) SQSClient() *sqs.Client { return s.sqs }

// Receive takes up to n waiting messages of the queue logicalID, as the
// event its consumer would get, without deleting them: for tests that
// deliver by hand.
func (s *Stack) Receive(ctx context.Context, logicalID string, n int32) (events.SQSEvent, error) {
	return receive(ctx, s.sqs, s.Resources.Ref(logicalID), s.Resources.Arn(logicalID), n, 0)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
