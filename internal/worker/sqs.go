package worker

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"

	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/logging"
)

// HandleSQS runs each job of a batch and reports the ones to deliver again
// (ReportBatchItemFailures), so one failing tenant does not redo the others.
// A message that is not a job fails too: after the queue's receive limit it
// lands in the dead-letter queue for someone to read.
func (w *Worker) HandleSQS(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	log := logging.For(ctx, w.log)
	var resp events.SQSEventResponse
	for _, msg := range ev.Records {
		var job integration.Job
		err := json.Unmarshal([]byte(msg.Body), &job)
		if err == nil {
			_, err = w.Run(ctx, job)
		}
		if err != nil {
			log.Error("job not done", "messageId", msg.MessageId, "tenantId", job.TenantID, "runId", job.RunID, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp, nil
}
