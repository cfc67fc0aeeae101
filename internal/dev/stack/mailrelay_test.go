package stack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/dev/stack"
	"github.com/peoplesync/peoplesync/internal/integration"
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
