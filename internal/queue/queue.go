package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
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

// batchBytes is what a SendMessageBatch may carry in all (SQS: 256 KiB
// for the bodies together), less a margin.
const batchBytes = 250 << 10

// send sends entries in batches of ten or of what fits batchBytes,
// resending the entries SQS refused with jittered backoff. On error, some
// entries may have been sent.
func send(ctx context.Context, client API, url string, entries []entry) error {
	for start := 0; start < len(entries); {
		end, size := start, 0
		for end < len(entries) && end-start < maxBatch && (end == start || size+len(entries[end].body) <= batchBytes) {
			size += len(entries[end].body)
			end++
		}
		if err := sendBatch(ctx, client, url, entries[start:end]); err != nil {
			return err
		}
		start = end
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

// Send queues mail jobs. Welcome jobs are packed: one message names up to
// integration.WelcomesPerJob members of a tenant, so a first import of
// 10,000 queues 50 messages, not 10,000. The tenant is the message group,
// so one tenant's jobs never hold more than one mailer at a time
// (fairness; the order does not matter). The deduplication id names the
// emails, so a job sent twice within SQS's five-minute window is queued
// once (welcomes are packed in employee id order, so the same welcomes
// pack the same); one sent twice later is harmless, since the mailer
// claims each email before sending it.
func (q *Mail) Send(ctx context.Context, jobs ...integration.MailJob) error {
	var entries []entry
	for _, j := range pack(jobs) {
		j.Version = integration.MailJobVersion
		body, err := json.Marshal(j)
		if err != nil {
			return fmt.Errorf("encode mail job: %w", err)
		}
		entries = append(entries, entry{body: string(body), groupID: j.TenantID, dedupID: mailDedupID(j)})
	}
	return send(ctx, q.client, q.url, entries)
}

// jobBytes bounds the employee ids of one welcome job, in encoded bytes:
// a quarter of an SQS message, whatever the ids hold.
const jobBytes = 64 << 10

// pack puts each tenant's welcomes into jobs of up to
// integration.WelcomesPerJob members (and jobBytes), in employee id order,
// each member once; the other jobs go as they are.
func pack(jobs []integration.MailJob) []integration.MailJob {
	var out []integration.MailJob
	welcomes := map[string][]string{}
	var tenants []string
	for _, j := range jobs {
		if j.Kind != integration.MailWelcome {
			out = append(out, j)
			continue
		}
		if _, ok := welcomes[j.TenantID]; !ok {
			tenants = append(tenants, j.TenantID)
		}
		welcomes[j.TenantID] = append(welcomes[j.TenantID], j.Members()...)
	}
	for _, tenant := range tenants {
		ids := welcomes[tenant]
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for len(ids) > 0 {
			n, size := 0, 0
			for n < len(ids) && n < integration.WelcomesPerJob {
				b, _ := json.Marshal(ids[n]) // a string always encodes
				if n > 0 && size+len(b)+1 > jobBytes {
					break
				}
				size += len(b) + 1
				n++
			}
			out = append(out, integration.MailJob{Kind: integration.MailWelcome, TenantID: tenant, EmployeeIDs: ids[:n:n]})
			ids = ids[n:]
		}
	}
	return out
}

// mailDedupID is a digest of what names the emails: SQS allows 128
// characters of ASCII punctuation and alphanumerics, which employee ids
// need not be. The four fields come first, then a packed job's members,
// so a job of one kind, tenant and run names its emails unambiguously and
// the single jobs keep the ids they had before welcomes were packed.
func mailDedupID(j integration.MailJob) string {
	parts := append([]string{string(j.Kind), j.TenantID, j.EmployeeID, j.RunID}, j.EmployeeIDs...)
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}
