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
