package worker

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/logging"
	"github.com/peoplesync/peoplesync/internal/queue"
)

// HandleSQS runs each job of a batch and reports the ones to deliver again.
func (w *Worker) HandleSQS(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return queue.HandleBatch(ctx, ev, logging.For(ctx, w.log), func(ctx context.Context, job integration.Job) error {
		_, err := w.Run(ctx, job)
		return err
	}), nil
}
