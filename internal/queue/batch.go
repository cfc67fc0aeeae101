package queue

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
)

// HandleBatch is an SQS consumer's Lambda handler body: it decodes each
// message as a T and hands it to handle, and reports the ones to deliver
// again (ReportBatchItemFailures), so one failure does not redo the rest.
// A message that is not a T fails too: after the queue's receive limit it
// lands in the dead-letter queue for someone to read.
func HandleBatch[T any](ctx context.Context, ev events.SQSEvent, log *slog.Logger, handle func(context.Context, T) error) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, msg := range ev.Records {
		var job T
		err := json.Unmarshal([]byte(msg.Body), &job)
		if err == nil {
			err = handle(ctx, job)
		}
		if err != nil {
			log.Warn("message not handled: it will be delivered again", "messageId", msg.MessageId, "job", summary(job), "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp
}

// summary is a job as a log line may show it: jobs carry ids only.
func summary(job any) string {
	b, err := json.Marshal(job)
	if err != nil {
		return ""
	}
	return string(b)
}
