package queue

import (
	"context"
	"regexp"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/peoplesync/peoplesync/internal/integration"
)

// recorder accepts every entry and keeps what was sent.
type recorder struct {
	mu      sync.Mutex
	entries []types.SendMessageBatchRequestEntry
}

func (r *recorder) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		r.entries = append(r.entries, e)
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

// SQS's rule for a deduplication id.
var dedupChars = regexp.MustCompile(`^[!-~]{1,128}$`)

// Mail jobs are grouped by tenant and deduplicated by the email they name,
// with ids SQS accepts whatever the employee id holds.
func TestMailGroupsByTenantAndNamesTheEmail(t *testing.T) {
	r := &recorder{}
	jobs := []integration.MailJob{
		{Kind: integration.MailWelcome, TenantID: "acme", EmployeeID: "E1"},
		{Kind: integration.MailWelcome, TenantID: "acme", EmployeeID: "E1"}, // the same email again
		{Kind: integration.MailWelcome, TenantID: "acme", EmployeeID: "Zoë 7/β"},
		{Kind: integration.MailWelcome, TenantID: "globex", EmployeeID: "E1"},
		{Kind: integration.MailSummary, TenantID: "acme", RunID: "E1"},
		{Kind: integration.MailReauth, TenantID: "acme"},
	}
	if err := NewMail(r, "url").Send(context.Background(), jobs...); err != nil {
		t.Fatal(err)
	}
	if len(r.entries) != len(jobs) {
		t.Fatalf("%d entries sent, want %d", len(r.entries), len(jobs))
	}
	groups := map[string]string{}
	dedup := map[string]int{}
	for _, e := range r.entries {
		id := aws.ToString(e.MessageDeduplicationId)
		if !dedupChars.MatchString(id) {
			t.Errorf("deduplication id %q is not one SQS accepts", id)
		}
		dedup[id]++
		groups[aws.ToString(e.MessageBody)] = aws.ToString(e.MessageGroupId)
	}
	if len(dedup) != len(jobs)-1 {
		t.Errorf("%d distinct deduplication ids, want %d (only the repeated welcome shares one): %v", len(dedup), len(jobs)-1, dedup)
	}
	for body, group := range groups {
		want := "acme"
		if regexp.MustCompile(`"tenantId":"globex"`).MatchString(body) {
			want = "globex"
		}
		if group != want {
			t.Errorf("job %s in group %q, want %q", body, group, want)
		}
	}
}
