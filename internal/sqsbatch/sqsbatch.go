package sqsbatch

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/peoplesync/peoplesync/internal/logging"
)

// Handler is an SQS consumer's Lambda handler: it decodes each message as
// a T and hands it to handle, and reports the ones to deliver again. A
// message that is not a T fails too: after the queue's receive limit it
// lands in the dead-letter queue for someone to read.
func Handler[T any](log *slog.Logger, handle func(context.Context, T) error) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		log := logging.For(ctx, log)
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
		return resp, nil
	}
}

// summary is a job as a log line may show it: jobs carry ids only.
func summary(job any) string {
	b, err := json.Marshal(job)
	if err != nil {
		return ""
	}
	return string(b)
}
