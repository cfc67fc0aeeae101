package integration

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/schedule"
)

// ErrNotFound is returned by stores for an item that does not exist for
// this tenant: callers cannot tell another tenant's item from a missing one.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a conditional write lost to another writer.
var ErrConflict = errors.New("conflict")

var tenantIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ValidTenantID reports whether id can key a tenant's items. Keys are built
// by concatenation with '#', so an id must never contain one.
func ValidTenantID(id string) bool { return tenantIDPattern.MatchString(id) }

// Settings are step 1 of setup, as the admin saved them (SPEC section 4).
type Settings struct {
	Frequency                  string   `json:"frequency"`
	TimeOfDay                  string   `json:"timeOfDay"`
	Weekday                    string   `json:"weekday,omitempty"`
	TimeZone                   string   `json:"timeZone"`
	DateFormat                 string   `json:"dateFormat"`
	WelcomeEmail               bool     `json:"welcomeEmail"`
	SummaryRecipients          []string `json:"summaryRecipients"`
	CloseMissingMembers        bool     `json:"closeMissingMembers"`
	MassChangeThresholdPercent int      `json:"massChangeThresholdPercent"`
	EmailWhenNothingChanged    bool     `json:"emailWhenNothingChanged"`
	// Scope excludes records (contractors, a site) from the programme.
	Scope []engine.ScopeRule `json:"scope"`
	// WelcomeTiming is when a new member's welcome goes: WelcomeOnCreation
	// or WelcomeOnStartDate (pre-hires get theirs on their first day).
	WelcomeTiming string `json:"welcomeTiming"`
}

// When welcome emails go.
const (
	WelcomeOnCreation  = "on_creation"
	WelcomeOnStartDate = "on_start_date"
)

// DefaultSettings are what a new integration starts with.
func DefaultSettings() Settings {
	d := engine.DefaultSettings()
	return Settings{
		Frequency:                  "daily",
		TimeOfDay:                  "02:00",
		TimeZone:                   engine.DefaultTimeZone,
		DateFormat:                 d.DateFormat,
		WelcomeEmail:               d.WelcomeEmail,
		SummaryRecipients:          []string{},
		MassChangeThresholdPercent: d.MassChangeThresholdPercent,
		Scope:                      []engine.ScopeRule{},
		WelcomeTiming:              WelcomeOnCreation,
	}
}

// Sync gives the engine's view of the settings.
func (s Settings) Sync() (engine.Settings, error) {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil || s.TimeZone == "" {
		return engine.Settings{}, fmt.Errorf("time zone %q: not an IANA zone", s.TimeZone)
	}
	return engine.Settings{
		Location:                   loc,
		DateFormat:                 s.DateFormat,
		WelcomeEmail:               s.WelcomeEmail,
		CloseMissingMembers:        s.CloseMissingMembers,
		MassChangeThresholdPercent: s.MassChangeThresholdPercent,
		Scope:                      s.Scope,
		WelcomeOnStartDate:         s.WelcomeTiming == WelcomeOnStartDate,
	}, nil
}

// SealedKey is the tenant's PeopleHR API key, encrypted with KMS under the
// tenant's encryption context. Only Last4 is ever shown.
type SealedKey struct {
	Ciphertext []byte    `json:"ciphertext"`
	Last4      string    `json:"last4"`
	AddedAt    time.Time `json:"addedAt"`
}

// State is the integration's health as the admin sees it.
type State string

const (
	StateDraft                State = "draft"
	StateLive                 State = "live"
	StateNeedsReauthorization State = "needs_reauthorization"
)

// ReauthAfter is how many runs in a row with a refused key make the
// integration need re-authorization.
const ReauthAfter = 3

// Scheduled reports whether the scheduler should run this integration.
func (in *Integration) Scheduled() bool {
	return in.Published && in.Key != nil && in.State != StateNeedsReauthorization && !in.DueAt.IsZero()
}

// Integration is one tenant's PeopleHR connection.
type Integration struct {
	TenantID      string
	ProgrammeName string
	AdminEmail    string // who saved the setup: the summary's first recipient
	Settings      Settings
	Mapping       engine.Mapping
	Key           *SealedKey
	Published     bool
	State         State
	// NextRunAt is the next scheduled slot; DueAt is when the scheduler
	// picks it up (the slot plus the tenant's spread). Both are zero while
	// the integration is not scheduled.
	NextRunAt time.Time
	DueAt     time.Time
	// InvalidKeyStreak counts runs in a row that PeopleHR refused the key.
	InvalidKeyStreak int
	// ReauthNotice is the email telling the admin to re-authorize.
	ReauthNotice MailState
	// Version guards against two admins overwriting each other.
	Version   int64
	UpdatedAt time.Time
}

// Schedule reads the settings' schedule.
func (s Settings) Schedule() (schedule.Spec, error) {
	return schedule.Parse(s.Frequency, s.TimeOfDay, s.Weekday, s.TimeZone)
}

// ScheduleFrom puts the integration on its schedule: the first slot after
// now, due once the tenant's spread has passed.
func (in *Integration) ScheduleFrom(now time.Time) error {
	spec, err := in.Settings.Schedule()
	if err != nil {
		return err
	}
	in.NextRunAt = spec.Next(now)
	in.DueAt = in.NextRunAt.Add(spec.Spread(in.TenantID))
	return nil
}
