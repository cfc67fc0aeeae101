package stack_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/devstack"
	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/dev/storetest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/queue"
)

// The mail side of "the service is not a mail cannon" (issue 15), read back
// from the SES emulator: a summary is one email per recipient and never
// goes to an outside address saved before the domain rule, and a U+202E
// in the programme name or a PeopleHR name reaches no email.
func TestTheMailerIsNoRelay(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	es := staff(2)
	es[0].FirstName = "Ann\u202egnp.exe"
	st := newStack(t, clk, es, nil)
	st.StartConsumers(context.Background())
	settings := integration.DefaultSettings()
	settings.DateFormat = "dd/MM/yyyy"
	settings.SummaryRecipients = []string{"hr@acme.example", "victim@elsewhere.example"}
	err := st.SeedTenant(context.Background(), stack.Tenant{
		ID: tenant, ProgrammeName: "Acme \u202eskreP\u202c", AdminEmail: "admin@acme.example",
		APIKey: peoplehrtest.DefaultAPIKey, Settings: settings, Mapping: seedMapping(),
	})
	if err != nil {
		t.Fatalf("seed tenant: %v", err)
	}
	if err := ses.Clear(context.Background()); err != nil {
		t.Fatal(err)
	}
	run := runImport(t, st)
	waitMail(t, st, run.RunID)

	emails, err := ses.Sent(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, e := range emails {
		to = append(to, strings.Join(e.To, ","))
		for _, part := range []string{e.Subject, e.Text, e.HTML} {
			if i := strings.IndexFunc(part, bidiControl); i >= 0 {
				t.Errorf("a bidi control reached an email to %v: %q", e.To, part[max(0, i-20):min(len(part), i+20)])
			}
		}
		if strings.HasPrefix(e.Subject, "Welcome to ") && e.Subject != "Welcome to Acme skreP" {
			t.Errorf("subject %q", e.Subject)
		}
	}
	got := strings.Join(to, " ")
	for _, want := range []string{"saa@acme.example", "sab@acme.example", "admin@acme.example", "hr@acme.example"} {
		if strings.Count(" "+got+" ", " "+want+" ") != 1 {
			t.Errorf("emails to %q, want one email of its own to %s", got, want)
		}
	}
	if len(emails) != 4 || strings.Contains(got, "victim") {
		t.Errorf("emails to %q, want 4 and none to the outside address", got)
	}
}

func bidiControl(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// One tenant's burst of welcomes does not hold up another's email: the
// mail queue is FIFO with the tenant as message group, so the burst holds
// one of the two mailers and the other tenant's welcome goes out on the
// other. On the standard queue it was the last of 41 to go.
func TestTenantsShareTheSendRate(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	st := newStack(t, clk, nil, nil)
	ctx := context.Background()
	const burst = 40
	var jobs []integration.MailJob
	for _, tn := range []struct {
		id      string
		members int
	}{{"acme", burst}, {"globex", 1}} {
		err := st.SeedTenant(ctx, stack.Tenant{
			ID: tn.id, ProgrammeName: tn.id, AdminEmail: "admin@" + tn.id + ".example",
			APIKey: peoplehrtest.DefaultAPIKey, Settings: integration.DefaultSettings(), Mapping: seedMapping(),
		})
		if err != nil {
			t.Fatalf("seed %s: %v", tn.id, err)
		}
		var ms []engine.Member
		for i := range tn.members {
			id := fmt.Sprintf("E%03d", i)
			ms = append(ms, storetest.NewMember(id, fmt.Sprintf("%s.%s@%s.example", strings.ToLower(id), tn.id, tn.id)))
			jobs = append(jobs, integration.MailJob{Kind: integration.MailWelcome, TenantID: tn.id, EmployeeID: id})
		}
		if _, err := st.Store.Apply(ctx, tn.id, "seed", storetest.Creates(ms...), nil); err != nil {
			t.Fatalf("create %s's members: %v", tn.id, err)
		}
	}
	if err := ses.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	// The burst is queued first, in full, before the other tenant's one.
	if err := queue.NewMail(st.Clients.SQS, st.Resources.Ref("MailQueue")).Send(ctx, jobs...); err != nil {
		t.Fatal(err)
	}
	st.StartConsumers(ctx)

	var emails []devstack.Email
	for deadline := time.Now().Add(time.Minute); len(emails) < burst+1; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d welcomes sent in a minute", len(emails), burst+1)
		}
		var err error
		if emails, err = ses.Sent(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range emails {
		if strings.Contains(strings.Join(e.To, ","), "globex") {
			// The burst is one job, held by one mailer: the other
			// tenant's welcome goes on the other.
			if i >= 20 {
				t.Errorf("the other tenant's welcome was email %d of %d, want among the first 20", i+1, len(emails))
			}
			return
		}
	}
	t.Errorf("no welcome to the other tenant among %d emails", len(emails))
}
