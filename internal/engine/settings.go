package engine

import (
	"errors"
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

// Defaults and limits of SPEC sections 1 and 2.5. The API, its OpenAPI
// document and the console take the limits from here.
const (
	DefaultDateFormat       = "yyyy-MM-dd"
	DefaultTimeZone         = "Europe/London"
	DefaultMassChangePct    = 10
	MinMassChangePct        = 1
	MaxMassChangePct        = 100
	MinMassChange           = 5
	LeaverRetentionDays     = 60
	standardDateLayout      = "2006-1-2"
	standardDateOutputShape = "2006-01-02"
)

// dateFormats are the formats an admin may choose, in the order they are
// offered, each with its lenient Go layout: single-digit days and months
// parse too.
var dateFormats = []struct{ name, layout string }{
	{"yyyy-MM-dd", "2006-1-2"},
	{"dd/MM/yyyy", "2/1/2006"},
	{"MM/dd/yyyy", "1/2/2006"},
	{"yyyy/MM/dd", "2006/1/2"},
	{"dd-MM-yyyy", "2-1-2006"},
}

// DateFormats lists the date formats an admin may choose.
func DateFormats() []string {
	out := make([]string, len(dateFormats))
	for i, f := range dateFormats {
		out[i] = f.name
	}
	return out
}

// dateLayout is the Go layout of a date format, or "".
func dateLayout(format string) string {
	for _, f := range dateFormats {
		if f.name == format {
			return f.layout
		}
	}
	return ""
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

// Validate reports what is wrong with the settings, each problem named by
// the field the API and the console show it under. It is the one check of
// the settings a run reads: the API refuses a save that fails it, and a
// planner is never made from settings that fail it.
func (s Settings) Validate() []FieldProblem {
	var out []FieldProblem
	if s.Location == nil {
		out = append(out, FieldProblem{"timeZone", "must be an IANA time zone such as Europe/London"})
	}
	if dateLayout(s.DateFormat) == "" {
		out = append(out, FieldProblem{"dateFormat", "must be one of " + strings.Join(DateFormats(), ", ")})
	}
	if s.MassChangeThresholdPercent < MinMassChangePct || s.MassChangeThresholdPercent > MaxMassChangePct {
		out = append(out, FieldProblem{"massChangeThresholdPercent", fmt.Sprintf("must be a whole number from %d to %d", MinMassChangePct, MaxMassChangePct)})
	}
	return append(out, ValidateScope(s.Scope)...)
}

// SettingsError lists what is wrong with settings, one problem per field.
type SettingsError struct {
	Problems []FieldProblem
}

func (e *SettingsError) Error() string { return "invalid settings: " + describe(e.Problems) }

// ErrInvalidSettings is matched by every *SettingsError.
var ErrInvalidSettings = errors.New("invalid settings")

func (e *SettingsError) Is(target error) bool { return target == ErrInvalidSettings }

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
