package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// API is the part of the SQS client the senders call.
type API interface {
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// maxBatch is SQS's limit of entries per SendMessageBatch.
const maxBatch = 10

// attempts bounds the resending of entries SQS failed inside a batch (the
// SDK retries whole calls, not entries).
const attempts = 4

type entry struct {
	body    string
	groupID string // FIFO only
	dedupID string // FIFO only
}

// send sends entries in batches of ten, resending the entries SQS refused
// with jittered backoff. On error, some entries may have been sent.
func send(ctx context.Context, client API, url string, entries []entry) error {
	for start := 0; start < len(entries); start += maxBatch {
		if err := sendBatch(ctx, client, url, entries[start:min(start+maxBatch, len(entries))]); err != nil {
			return err
		}
	}
	return nil
}

func sendBatch(ctx context.Context, client API, url string, batch []entry) error {
	pending := make(map[string]entry, len(batch))
	for i, e := range batch {
		pending[strconv.Itoa(i)] = e
	}
	for attempt := 0; ; attempt++ {
		in := &sqs.SendMessageBatchInput{QueueUrl: &url}
		for id, e := range pending {
			be := types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(e.body)}
			if e.groupID != "" {
				be.MessageGroupId, be.MessageDeduplicationId = aws.String(e.groupID), aws.String(e.dedupID)
			}
			in.Entries = append(in.Entries, be)
		}
		out, err := client.SendMessageBatch(ctx, in)
		if err != nil {
			return fmt.Errorf("send to %s: %w", url, err)
		}
		for _, ok := range out.Successful {
			delete(pending, aws.ToString(ok.Id))
		}
		if len(pending) == 0 {
			return nil
		}
		if attempt+1 >= attempts {
			f := out.Failed[0]
			return fmt.Errorf("send to %s: %d messages refused, e.g. %s: %s", url, len(pending), aws.ToString(f.Code), aws.ToString(f.Message))
		}
		d := time.Duration(rand.Int64N(int64(100*time.Millisecond) << attempt))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
}

// Imports sends import jobs to the FIFO imports queue.
type Imports struct {
	client API
	url    string
}

// NewImports builds a sender for the imports queue at url.
func NewImports(client API, url string) *Imports { return &Imports{client: client, url: url} }

// Send queues jobs. The tenant is the message group, so one tenant's jobs
// run one after another; tenant and run id are the deduplication id, so a
// job sent twice within SQS's five-minute window is queued once.
func (q *Imports) Send(ctx context.Context, jobs ...integration.Job) error {
	entries := make([]entry, len(jobs))
	for i, j := range jobs {
		body, err := json.Marshal(j)
		if err != nil {
			return fmt.Errorf("encode job: %w", err)
		}
		entries[i] = entry{body: string(body), groupID: j.TenantID, dedupID: j.TenantID + "." + j.RunID}
	}
	return send(ctx, q.client, q.url, entries)
}

// Mail sends mail jobs to the FIFO mail queue.
type Mail struct {
	client API
	url    string
}

// NewMail builds a sender for the mail queue at url.
func NewMail(client API, url string) *Mail { return &Mail{client: client, url: url} }

// Send queues mail jobs. The tenant is the message group, so one tenant's
// jobs never hold more than one mailer at a time (fairness; the order
// does not matter). The deduplication id names the email, so a job sent
// twice within SQS's five-minute window is queued once; one sent twice
// later is harmless, since the mailer claims each email before sending it.
func (q *Mail) Send(ctx context.Context, jobs ...integration.MailJob) error {
	entries := make([]entry, len(jobs))
	for i, j := range jobs {
		body, err := json.Marshal(j)
		if err != nil {
			return fmt.Errorf("encode mail job: %w", err)
		}
		entries[i] = entry{body: string(body), groupID: j.TenantID, dedupID: mailDedupID(j)}
	}
	return send(ctx, q.client, q.url, entries)
}

// mailDedupID is a digest of what names the email: SQS allows 128
// characters of ASCII punctuation and alphanumerics, which employee ids
// need not be.
func mailDedupID(j integration.MailJob) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{string(j.Kind), j.TenantID, j.EmployeeID, j.RunID}, "\x00")))
	return hex.EncodeToString(sum[:])
}
