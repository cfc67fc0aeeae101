package engine

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // Lambda's provided.al2023 has no zoneinfo: "today" needs the tenant's zone.
)

// Settings are the tenant's choices that change what a run decides.
type Settings struct {
	// Location is the tenant's time zone; "today" for leaving dates is read in it.
	Location *time.Location
	// DateFormat reads text dates (custom columns); one of DateFormats.
	DateFormat string
	// WelcomeEmail makes new members "invited" with a welcome email owed.
	WelcomeEmail bool
	// WelcomeOnStartDate holds a pre-hire's welcome until their start date
	// (in the tenant's zone) instead of sending it at creation.
	WelcomeOnStartDate bool
	// CloseMissingMembers closes members absent from the feed instead of warning.
	CloseMissingMembers bool
	// MassChangeThresholdPercent of active members (at least MinMassChange)
	// may be closed in one run before the run is held.
	MassChangeThresholdPercent int
	// Scope excludes records from the programme; a member whose record
	// leaves the scope is handled as missing from the feed.
	Scope []ScopeRule
}

// Defaults of SPEC section 1.
const (
	DefaultDateFormat       = "yyyy-MM-dd"
	DefaultTimeZone         = "Europe/London"
	DefaultMassChangePct    = 10
	MinMassChange           = 5
	LeaverRetentionDays     = 60
	standardDateLayout      = "2006-1-2"
	standardDateOutputShape = "2006-01-02"
)

// DateFormats maps the formats an admin may choose to lenient Go layouts:
// single-digit days and months parse too.
var DateFormats = map[string]string{
	"yyyy-MM-dd": "2006-1-2",
	"dd/MM/yyyy": "2/1/2006",
	"MM/dd/yyyy": "1/2/2006",
	"yyyy/MM/dd": "2006/1/2",
	"dd-MM-yyyy": "2-1-2006",
}

// DefaultSettings are a new integration's settings.
func DefaultSettings() Settings {
	loc, err := time.LoadLocation(DefaultTimeZone)
	if err != nil {
		panic(err) // tzdata is embedded: this cannot fail
	}
	return Settings{
		Location:                   loc,
		DateFormat:                 DefaultDateFormat,
		WelcomeEmail:               true,
		MassChangeThresholdPercent: DefaultMassChangePct,
	}
}

func (s Settings) validate() error {
	if s.Location == nil {
		return fmt.Errorf("settings: time zone missing")
	}
	if _, ok := DateFormats[s.DateFormat]; !ok {
		return fmt.Errorf("settings: unknown date format %q", s.DateFormat)
	}
	if s.MassChangeThresholdPercent < 0 || s.MassChangeThresholdPercent > 100 {
		return fmt.Errorf("settings: mass-change threshold %d%% is outside 0..100", s.MassChangeThresholdPercent)
	}
	if problems := ValidateScope(s.Scope); len(problems) > 0 {
		return fmt.Errorf("settings: %s: %s", problems[0].Field, problems[0].Message)
	}
	return nil
}

// parseDate reads a date in layout and returns it as yyyy-MM-dd. PeopleHR's
// own date fields sometimes carry a time part ("2024-03-01T00:00:00"): it is
// dropped.
func parseDate(s, layout string) (string, bool) {
	if layout == standardDateLayout {
		s, _, _ = strings.Cut(s, "T")
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return "", false
	}
	return t.Format(standardDateOutputShape), true
}

// Today is the calendar date at now in loc, as yyyy-MM-dd.
func Today(now time.Time, loc *time.Location) string {
	return now.In(loc).Format(standardDateOutputShape)
}

// startOf is the first instant of a yyyy-MM-dd date in loc.
func startOf(date string, loc *time.Location) time.Time {
	t, err := time.ParseInLocation(standardDateOutputShape, date, loc)
	if err != nil {
		panic(fmt.Sprintf("engine: startOf %q: %v", date, err)) // dates here are produced by this package
	}
	return t
}

// AddDays adds n days to a yyyy-MM-dd date.
func AddDays(date string, n int) string {
	t, err := time.Parse(standardDateOutputShape, date)
	if err != nil {
		panic(fmt.Sprintf("sync: AddDays on %q: %v", date, err)) // dates here are produced by this package
	}
	return t.AddDate(0, 0, n).Format(standardDateOutputShape)
}
