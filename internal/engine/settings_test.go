package engine

import (
	"errors"
	"testing"
)

// SPEC 1 and 2.5: the limits of the settings, in one place.
func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Settings)
		fields string
	}{
		{"defaults", func(*Settings) {}, ""},
		{"every offered date format", func(s *Settings) { s.DateFormat = DateFormats()[4] }, ""},
		{"unknown date format", func(s *Settings) { s.DateFormat = "dd.MM.yyyy" }, "dateFormat"},
		{"threshold at its lowest", func(s *Settings) { s.MassChangeThresholdPercent = MinMassChangePct }, ""},
		{"threshold at its highest", func(s *Settings) { s.MassChangeThresholdPercent = MaxMassChangePct }, ""},
		{"threshold below", func(s *Settings) { s.MassChangeThresholdPercent = MinMassChangePct - 1 }, "massChangeThresholdPercent"},
		{"threshold above", func(s *Settings) { s.MassChangeThresholdPercent = MaxMassChangePct + 1 }, "massChangeThresholdPercent"},
		{"no zone", func(s *Settings) { s.Location = nil }, "timeZone"},
		{"a bad scope rule", func(s *Settings) {
			s.Scope = []ScopeRule{{Source: "BankDetail", Op: ScopeEquals, Values: []string{"x"}}}
		}, "scope[0].source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			tt.change(&s)
			got := ""
			for _, p := range s.Validate() {
				got += p.Field
			}
			if got != tt.fields {
				t.Errorf("problems in %q, want %q", got, tt.fields)
			}
			if _, err := NewPlanner(DefaultMapping(), s, now); (err != nil) != (tt.fields != "") || (err != nil && !errors.Is(err, ErrInvalidSettings)) {
				t.Errorf("NewPlanner: %v", err)
			}
		})
	}
}
