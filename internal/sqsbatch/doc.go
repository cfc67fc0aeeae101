// Package sqsbatch is the Lambda side of an SQS event source mapping: each
// message of a batch decoded as a job and handled on its own, and the ones
// to deliver again reported (ReportBatchItemFailures), so one failure does
// not redo the rest. The worker and the mailer are its two users.
package sqsbatch
