package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/peoplesync/peoplesync/internal/integration"
)

var update = flag.Bool("update", false, "rewrite testdata/mailjob-v2.jsonl from the encoder")

// recorder accepts every entry and keeps what was sent.
type recorder struct {
	mu      sync.Mutex
	entries []types.SendMessageBatchRequestEntry
	batches []int // bytes of the bodies each call carried
}

func (r *recorder) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &sqs.SendMessageBatchOutput{}
	total := 0
	for _, e := range in.Entries {
		total += len(aws.ToString(e.MessageBody))
		r.entries = append(r.entries, e)
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
	}
	r.batches = append(r.batches, total)
	return out, nil
}

// SQS's rule for a deduplication id.
var dedupChars = regexp.MustCompile(`^[!-~]{1,128}$`)

func welcome(tenant, id string) integration.MailJob {
	return integration.MailJob{Kind: integration.MailWelcome, TenantID: tenant, EmployeeID: id}
}

func (r *recorder) jobs(t *testing.T) []integration.MailJob {
	t.Helper()
	out := make([]integration.MailJob, len(r.entries))
	for i, e := range r.entries {
		if err := json.Unmarshal([]byte(aws.ToString(e.MessageBody)), &out[i]); err != nil {
			t.Fatal(err)
		}
		if out[i].TenantID != aws.ToString(e.MessageGroupId) {
			t.Errorf("job of %s in group %q", out[i].TenantID, aws.ToString(e.MessageGroupId))
		}
		if id := aws.ToString(e.MessageDeduplicationId); !dedupChars.MatchString(id) {
			t.Errorf("deduplication id %q is not one SQS accepts", id)
		}
	}
	return out
}

// Welcomes are packed, a tenant's to a job of up to WelcomesPerJob
// members, each member once; the other jobs go as they are. Every job is
// grouped by its tenant and deduplicated by the emails it names, with ids
// SQS accepts whatever the employee id holds.
func TestMailPacksWelcomesByTenant(t *testing.T) {
	jobs := []integration.MailJob{
		welcome("acme", "E1"), welcome("acme", "E1"), // the same email again
		welcome("acme", "Zoë 7/β"), welcome("globex", "E1"),
		{Kind: integration.MailSummary, TenantID: "acme", RunID: "E1"},
		{Kind: integration.MailReauth, TenantID: "acme"},
	}
	for i := range 450 {
		jobs = append(jobs, welcome("acme", fmt.Sprintf("M%03d", i)))
	}
	r := &recorder{}
	if err := NewMail(r, "url").Send(context.Background(), jobs...); err != nil {
		t.Fatal(err)
	}
	got := r.jobs(t)
	var sizes []int
	members := map[string]int{}
	dedup := map[string]bool{}
	for i, j := range got {
		dedup[aws.ToString(r.entries[i].MessageDeduplicationId)] = true
		if j.Version != integration.MailJobVersion {
			t.Errorf("job %+v without the format version", j)
		}
		if j.Kind != integration.MailWelcome {
			continue
		}
		sizes = append(sizes, len(j.Members()))
		for _, id := range j.Members() {
			members[j.TenantID+"/"+id]++
		}
	}
	// The summary, the notice, acme's 452 welcomes and globex's one (SQS
	// keeps no order inside a batch).
	slices.Sort(sizes)
	if want := []int{1, 52, 200, 200}; !slices.Equal(sizes, want) || len(got) != 6 {
		t.Errorf("%d jobs, welcomes packed %v, want 6 and %v", len(got), sizes, want)
	}
	if len(members) != 453 || members["acme/E1"] != 1 || members["acme/Zoë 7/β"] != 1 || members["globex/E1"] != 1 {
		t.Errorf("%d members mailed, want 453 each once", len(members))
	}
	if len(dedup) != len(got) {
		t.Errorf("%d distinct deduplication ids for %d jobs", len(dedup), len(got))
	}
}

// The same welcomes queued again, in any order (a redelivered run), pack
// into the same jobs with the same deduplication ids; different welcomes
// do not share one.
func TestMailDedupsTheSameWelcomes(t *testing.T) {
	send := func(ids ...string) []string {
		r := &recorder{}
		var jobs []integration.MailJob
		for _, id := range ids {
			jobs = append(jobs, welcome("acme", id))
		}
		if err := NewMail(r, "url").Send(context.Background(), jobs...); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range r.entries {
			out = append(out, aws.ToString(e.MessageDeduplicationId))
		}
		return out
	}
	first, again, other := send("E1", "E2", "E3"), send("E3", "E1", "E2"), send("E1", "E2")
	if !slices.Equal(first, again) || len(first) != 1 {
		t.Errorf("the same welcomes: %v then %v, want one id twice", first, again)
	}
	if slices.Equal(first, other) {
		t.Errorf("two different jobs share the deduplication id %v", first)
	}
	// A single job's id is the one the code before packing gave it.
	sum := sha256.Sum256([]byte("summary\x00acme\x00\x00r1"))
	if got := mailDedupID(integration.MailJob{Kind: integration.MailSummary, TenantID: "acme", RunID: "r1"}); got != hex.EncodeToString(sum[:]) {
		t.Errorf("a summary's deduplication id changed: %s", got)
	}
}

// Long employee ids pack fewer to a job, and a SendMessageBatch never
// carries more than SQS's 256 KiB.
func TestMailJobsFitSQS(t *testing.T) {
	r := &recorder{}
	var jobs []integration.MailJob
	for i := range 2000 {
		jobs = append(jobs, welcome("acme", fmt.Sprintf("%04d%s", i, strings.Repeat("é", 400))))
	}
	if err := NewMail(r, "url").Send(context.Background(), jobs...); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, j := range r.jobs(t) {
		n += len(j.Members())
	}
	if n != 2000 {
		t.Errorf("%d members queued, want 2000", n)
	}
	for _, e := range r.entries {
		if size := len(aws.ToString(e.MessageBody)); size > 256<<10 || size < 32<<10 {
			t.Errorf("a message of %d bytes, want a full one under 256 KiB", size)
		}
	}
	for i, total := range r.batches {
		if total > 256<<10 {
			t.Errorf("batch %d carries %d bytes, over 256 KiB", i, total)
		}
	}
}

// A message's format is stored: what the service writes today is the
// golden file, and a message the code before packing queued is still
// read as the welcome it asked for.
func TestMailFormatGolden(t *testing.T) {
	r := &recorder{}
	err := NewMail(r, "url").Send(context.Background(),
		welcome("acme", "E2"), welcome("acme", "E1"),
		integration.MailJob{Kind: integration.MailSummary, TenantID: "acme", RunID: "20260310T090000000000Z-schedule"},
		integration.MailJob{Kind: integration.MailReminder, TenantID: "acme", EmployeeID: "E3", Reminder: 2},
		integration.MailJob{Kind: integration.MailReauth, TenantID: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, e := range r.entries {
		bodies = append(bodies, aws.ToString(e.MessageBody)+"\n")
	}
	slices.Sort(bodies) // a batch's entries go in no order
	var b strings.Builder
	for _, body := range bodies {
		b.WriteString(body)
	}
	path := filepath.Join("testdata", "mailjob-v2.jsonl")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("mail jobs encode as\n%s\nwant (%s)\n%s", b.String(), path, want)
	}
	v1, err := os.ReadFile(filepath.Join("testdata", "mailjob-v1.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var old []integration.MailJob
	for line := range strings.SplitSeq(strings.TrimSpace(string(v1)), "\n") {
		var j integration.MailJob
		if err := json.Unmarshal([]byte(line), &j); err != nil {
			t.Fatal(err)
		}
		old = append(old, j)
	}
	if len(old) != 2 || !slices.Equal(old[0].Members(), []string{"E1"}) || old[0].Version != 0 || old[1].RunID == "" {
		t.Errorf("version 1 jobs read as %+v", old)
	}
}
