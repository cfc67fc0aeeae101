package integration

import (
	"errors"
	"strings"
	"testing"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// Settings are checked in one place, for the API's saves and for the runs
// that read them.
func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Settings)
		fields string // the fields with a problem, joined by spaces
	}{
		{"defaults", func(*Settings) {}, ""},
		{"weekly on a day", func(s *Settings) { s.Frequency, s.Weekday = "weekly", "friday" }, ""},
		{"an unknown zone is named once", func(s *Settings) { s.TimeZone = "Mars/Olympus" }, "timeZone"},
		{"a bad time", func(s *Settings) { s.TimeOfDay = "25:00" }, "timeOfDay"},
		{"a bad date format", func(s *Settings) { s.DateFormat = "yy" }, "dateFormat"},
		{"a threshold of 0", func(s *Settings) { s.MassChangeThresholdPercent = 0 }, "massChangeThresholdPercent"},
		{"too many recipients", func(s *Settings) {
			s.SummaryRecipients = strings.Split(strings.Repeat("a@example.com ", MaxSummaryRecipients+1), " ")[:MaxSummaryRecipients+1]
		}, "summaryRecipients"},
		{"a bad recipient", func(s *Settings) { s.SummaryRecipients = []string{"ok@example.com", "nope"} }, "summaryRecipients[1]"},
		{"a blank welcome timing is the old default", func(s *Settings) { s.WelcomeTiming = "" }, ""},
		{"an unknown welcome timing", func(s *Settings) { s.WelcomeTiming = "later" }, "welcomeTiming"},
		{"a bad scope rule", func(s *Settings) {
			s.Scope = []engine.ScopeRule{{Source: "Location", Op: "like", Values: []string{"x"}}}
		}, "scope[0].op"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			tt.change(&s)
			var fields []string
			for _, p := range s.Validate() {
				fields = append(fields, p.Field)
			}
			if got := strings.Join(fields, " "); got != tt.fields {
				t.Errorf("problems in %q, want %q", got, tt.fields)
			}
			es, err := s.Sync()
			if tt.fields == "" {
				if err != nil || es.Location == nil {
					t.Errorf("Sync: %v", err)
				}
			} else if !errors.Is(err, engine.ErrInvalidSettings) {
				t.Errorf("Sync: %v, want invalid settings", err)
			}
		})
	}
}

// Extra summary recipients must be in the admin's own domain (or below
// it): a list of outside addresses made every import a mail to strangers
// (issue 15). A public provider's domain is nobody's own.
func TestValidateRecipients(t *testing.T) {
	tests := []struct {
		name       string
		admin      string
		recipients []string
		fields     string
		message    string // in the first problem's message
	}{
		{"the admin's domain", "Admin@Acme.example", []string{"hr@acme.example", "HR@ACME.EXAMPLE"}, "", ""},
		{"a subdomain", "admin@acme.example", []string{"hr@uk.acme.example"}, "", ""},
		{"another domain is named with the one allowed", "admin@acme.example", []string{"hr@acme.example", "victim@elsewhere.example"}, "summaryRecipients[1]", "acme.example"},
		{"a look-alike suffix", "admin@acme.example", []string{"x@evilacme.example", "y@acme.example.evil.example"}, "summaryRecipients[0] summaryRecipients[1]", "acme.example"},
		{"a public provider admits no extras", "someone@gmail.com", []string{"friend@gmail.com"}, "summaryRecipients[0]", "public mail provider"},
		{"no admin address", "", []string{"hr@acme.example"}, "summaryRecipients[0]", "no email address"},
		{"an invalid address is Validate's", "admin@acme.example", []string{"nope"}, "", ""},
		{"none", "someone@gmail.com", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			s.SummaryRecipients = tt.recipients
			problems := s.ValidateRecipients(tt.admin)
			var fields []string
			for _, p := range problems {
				fields = append(fields, p.Field)
			}
			if got := strings.Join(fields, " "); got != tt.fields {
				t.Fatalf("problems in %q, want %q", got, tt.fields)
			}
			if tt.message != "" && !strings.Contains(problems[0].Message, tt.message) {
				t.Errorf("message %q lacks %q", problems[0].Message, tt.message)
			}
		})
	}
}
