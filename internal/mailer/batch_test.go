package mailer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/email"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/mailer"
)

// packed stores n members owed a welcome and returns the job naming them
// all, as the queue packs it.
func (e *env) packed(t *testing.T, n int) (integration.MailJob, []string) {
	t.Helper()
	job := integration.MailJob{Version: integration.MailJobVersion, Kind: integration.MailWelcome, TenantID: tenant}
	var to []string
	for i := range n {
		id := fmt.Sprintf("E%03d", i+1)
		e.member(t, id, false)
		job.EmployeeIDs = append(job.EmployeeIDs, id)
		to = append(to, strings.ToLower(id)+"@acme.example")
	}
	return job, to
}

// A job of 100 whose 51st send is throttled fails having sent 1..50 and
// left the rest owed; delivered again it sends 51..100 only, the claims
// skipping those already sent. Two mailers given the retry at once still
// send each email once.
func TestAWelcomeJobFailingHalfWay(t *testing.T) {
	e := newEnv(t)
	job, to := e.packed(t, 100)
	e.sender.fail = func(n int) error {
		if n == 51 {
			return fmt.Errorf("SES: %w", email.ErrRetryLater)
		}
		return nil
	}
	if err := e.m.Handle(context.Background(), job); !errors.Is(err, email.ErrRetryLater) {
		t.Fatalf("a job throttled half way: %v, want a retry", err)
	}
	if got, want := recipientsOf(e.sender.messages()), strings.Join(to[:50], " "); got != want {
		t.Fatalf("sent to %q before the throttle, want the first 50", got)
	}
	for _, id := range job.EmployeeIDs[50:] {
		if w := e.welcome(t, id); w != engine.WelcomeOwed {
			t.Fatalf("%s's welcome %s after the throttle, want owed", id, w)
		}
	}
	e.handleAtOnce(t, job)
	sent := map[string]int{}
	for _, m := range e.sender.messages() {
		sent[m.To[0]]++
	}
	for _, addr := range to {
		if sent[addr] != 1 {
			t.Errorf("%s sent %d welcomes, want 1", addr, sent[addr])
		}
	}
	for _, id := range job.EmployeeIDs {
		if w := e.welcome(t, id); w != engine.WelcomeSent {
			t.Errorf("%s's welcome %s, want sent", id, w)
		}
	}
}

// The day's quota spent part-way through a job leaves the rest owed, not
// retried: the next run queues them.
func TestAWelcomeJobStopsAtTheQuota(t *testing.T) {
	e := newEnv(t)
	m, err := mailer.New(e.store, e.sender, mailer.Config{WelcomesPerDay: 3}, slog.New(slog.DiscardHandler), e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	job, to := e.packed(t, 5)
	if err := m.Handle(context.Background(), job); err != nil {
		t.Fatalf("a job over the quota: %v, want done", err)
	}
	if got := recipientsOf(e.sender.messages()); got != strings.Join(to[:3], " ") {
		t.Errorf("sent to %q, want the first 3", got)
	}
	for _, id := range job.EmployeeIDs[3:] {
		if w := e.welcome(t, id); w != engine.WelcomeOwed {
			t.Errorf("%s's welcome %s over the quota, want owed", id, w)
		}
	}
}

// Near its invocation's deadline a job claims no more: a send cut off by
// the timeout would leave its email 'sending' for good.
func TestAWelcomeJobStopsBeforeItsDeadline(t *testing.T) {
	e := newEnv(t)
	job, _ := e.packed(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.m.Handle(ctx, job); err == nil || !strings.Contains(err.Error(), "out of time after 0 of 3") {
		t.Fatalf("a job at its deadline: %v, want out of time", err)
	}
	if n := len(e.sender.messages()); n != 0 {
		t.Errorf("%d sent at the deadline", n)
	}
	if w := e.welcome(t, "E001"); w != engine.WelcomeOwed {
		t.Errorf("welcome %s, want owed", w)
	}
}

// A welcome queued before welcomes were packed (format 1: one member in
// employeeId) is still sent; a format newer than the mailer's is refused,
// not guessed at.
func TestMailJobFormats(t *testing.T) {
	e := newEnv(t)
	e.member(t, "E1", false)
	var old integration.MailJob
	if err := json.Unmarshal([]byte(`{"kind":"welcome","tenantId":"acme","employeeId":"E1"}`), &old); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Handle(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	if got := recipientsOf(e.sender.messages()); got != "e1@acme.example" {
		t.Errorf("a format 1 welcome sent to %q", got)
	}
	newer := integration.MailJob{Version: integration.MailJobVersion + 1, Kind: integration.MailWelcome, TenantID: tenant, EmployeeIDs: []string{"E1"}}
	if err := e.m.Handle(context.Background(), newer); err == nil {
		t.Error("a job of a newer format handled")
	}
}
