package integration

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
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
	// InviteReminders reminds invited members who have not joined,
	// ReminderDays after their first invitation.
	InviteReminders bool `json:"inviteReminders"`
}

// When welcome emails go.
const (
	WelcomeOnCreation  = "on_creation"
	WelcomeOnStartDate = "on_start_date"
)

// WelcomeTimings lists the values of Settings.WelcomeTiming.
func WelcomeTimings() []string { return []string{WelcomeOnCreation, WelcomeOnStartDate} }

// MaxSummaryRecipients bounds the extra summary recipients (SES takes 50
// addresses per email).
const MaxSummaryRecipients = 20

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
		InviteReminders:            true,
	}
}

// Validate reports every problem of the settings, each named by the field
// the API shows it under: the schedule, the summary recipients, the
// welcome timing, and all the engine checks (engine.Settings.Validate).
// It is the one check of settings: the API refuses a save that fails it
// and a run or a dry run refuses to plan with settings that fail it.
// Recipients are compared as stored, trimmed and lower-cased.
func (s Settings) Validate() []engine.FieldProblem {
	var out []engine.FieldProblem
	var ve *schedule.ValidationError
	if _, err := s.Schedule(); errors.As(err, &ve) {
		for _, p := range ve.Problems {
			out = append(out, engine.FieldProblem(p))
		}
	}
	if len(s.SummaryRecipients) > MaxSummaryRecipients {
		out = append(out, engine.FieldProblem{Field: "summaryRecipients", Message: fmt.Sprintf("at most %d addresses", MaxSummaryRecipients)})
	}
	for i, a := range s.SummaryRecipients {
		if !engine.ValidEmail(a) {
			out = append(out, engine.FieldProblem{Field: fmt.Sprintf("summaryRecipients[%d]", i), Message: "is not a valid email address"})
		}
	}
	// Blank: saved before the option existed, which meant on creation.
	if s.WelcomeTiming != "" && !slices.Contains(WelcomeTimings(), s.WelcomeTiming) {
		out = append(out, engine.FieldProblem{Field: "welcomeTiming", Message: "must be one of " + strings.Join(WelcomeTimings(), ", ")})
	}
	for _, p := range s.engine().Validate() {
		// The schedule's check has already named a bad time zone.
		if !slices.ContainsFunc(out, func(q engine.FieldProblem) bool { return q.Field == p.Field }) {
			out = append(out, p)
		}
	}
	return out
}

// RecipientDomain is the one email domain extra summary recipients may be
// in: the admin's (who saves the setup), lower-cased. It is "" when the
// admin's address is at a public mail provider, whose domain is not the
// tenant's own: anyone can have an address there.
func RecipientDomain(adminEmail string) string {
	if domain := domainOf(adminEmail); !slices.Contains(publicMailDomains, domain) {
		return domain
	}
	return ""
}

// domainOf is an address's domain, lower-cased; "" without one.
func domainOf(address string) string {
	at := strings.LastIndexByte(address, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(address[at+1:]))
}

// publicMailDomains are the largest public mail providers. An admin there
// can still receive summaries; extras would be anyone's inbox.
var publicMailDomains = []string{
	"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com", "msn.com",
	"yahoo.com", "yahoo.co.uk", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com",
	"proton.me", "protonmail.com", "gmx.com", "gmx.net", "mail.com", "zoho.com", "yandex.com",
}

// RecipientAllowed reports whether an extra summary recipient is in the
// tenant's own domain (RecipientDomain of the admin), or a subdomain of it
// (hr@uk.acme.example for an admin at acme.example: the same organisation's
// DNS). A summary to any other address would make the service a relay for
// whoever can save settings (issue 15).
func RecipientAllowed(adminEmail, recipient string) bool {
	domain, got := RecipientDomain(adminEmail), domainOf(recipient)
	return domain != "" && (got == domain || strings.HasSuffix(got, "."+domain))
}

// ValidateRecipients reports the extra summary recipients outside the
// tenant's own domain for the admin saving the settings, each named by its
// field with the domain allowed. Apart from Validate, since settings saved
// before this rule must not stop runs: the mailer skips such recipients.
func (s Settings) ValidateRecipients(adminEmail string) []engine.FieldProblem {
	msg := "must be an address at " + RecipientDomain(adminEmail) + " (your own email domain) or a subdomain of it"
	switch {
	case domainOf(adminEmail) == "":
		msg = "cannot be added: your sign-in carries no email address to take the domain from"
	case RecipientDomain(adminEmail) == "":
		msg = "cannot be added: extra recipients must share your email domain, and " + domainOf(adminEmail) + " is a public mail provider"
	}
	var out []engine.FieldProblem
	for i, a := range s.SummaryRecipients {
		if engine.ValidEmail(a) && !RecipientAllowed(adminEmail, a) {
			out = append(out, engine.FieldProblem{Field: fmt.Sprintf("summaryRecipients[%d]", i), Message: msg})
		}
	}
	return out
}

// Sync gives the engine's view of the settings, once they are valid: an
// error matching engine.ErrInvalidSettings otherwise.
func (s Settings) Sync() (engine.Settings, error) {
	if problems := s.Validate(); len(problems) > 0 {
		return engine.Settings{}, &engine.SettingsError{Problems: problems}
	}
	return s.engine(), nil
}

// engine is the engine's view, its Location nil for an unknown zone.
func (s Settings) engine() engine.Settings {
	var loc *time.Location
	if s.TimeZone != "" {
		loc, _ = time.LoadLocation(s.TimeZone) // nil for an unknown zone, which Validate reports
	}
	return engine.Settings{
		Location:                   loc,
		DateFormat:                 s.DateFormat,
		WelcomeEmail:               s.WelcomeEmail,
		CloseMissingMembers:        s.CloseMissingMembers,
		MassChangeThresholdPercent: s.MassChangeThresholdPercent,
		Scope:                      s.Scope,
		WelcomeOnStartDate:         s.WelcomeTiming == WelcomeOnStartDate,
	}
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
