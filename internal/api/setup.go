package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
	"github.com/peoplesync/peoplesync/internal/secrets"
)

// loadIntegration reads the caller's integration; a tenant that never saved
// anything gets a draft with the defaults.
func (s *Server) loadIntegration(ctx context.Context, p auth.Principal) (*integration.Integration, error) {
	in, err := s.store.GetIntegration(ctx, p.TenantID)
	if errors.Is(err, integration.ErrNotFound) {
		return &integration.Integration{
			TenantID: p.TenantID, AdminEmail: p.Email, ProgrammeName: p.TenantID, State: integration.StateDraft,
			Settings: integration.DefaultSettings(), Mapping: engine.DefaultMapping(),
		}, nil
	}
	return in, err
}

// update is load-modify-save under optimistic locking: edit changes the
// integration, and the save fails with 409 if anyone saved in between, or
// if the caller's If-Match names an older version than the stored one.
func (s *Server) update(r *http.Request, p auth.Principal, edit func(*integration.Integration) error) (*integration.Integration, error) {
	in, err := s.loadIntegration(r.Context(), p)
	if err != nil {
		return nil, err
	}
	if match := strings.Trim(r.Header.Get("If-Match"), `"`); match != "" && match != "*" {
		v, err := strconv.ParseInt(match, 10, 64)
		if err != nil || v != in.Version {
			return nil, errStale
		}
	}
	if err := edit(in); err != nil {
		return nil, err
	}
	if err := s.store.PutIntegration(r.Context(), in); err != nil {
		return nil, err
	}
	return in, nil
}

// view is the integration as the API shows it, with its last run.
func (s *Server) view(ctx context.Context, in *integration.Integration) (integrationView, error) {
	runs, _, err := s.store.ListRuns(ctx, in.TenantID, "", 1)
	if err != nil {
		return integrationView{}, err
	}
	var last *integration.Run
	if len(runs) > 0 {
		last = runs[0]
	}
	v := viewIntegration(in, last)
	v.EgressIP = s.egressIP
	l, err := s.store.GetListener(ctx, in.TenantID)
	switch {
	case err == nil:
		v.Listener = &listenerView{CreatedAt: l.CreatedAt.UTC().Format(time.RFC3339)}
	case !errors.Is(err, integration.ErrNotFound):
		return integrationView{}, err
	}
	return v, nil
}

func (s *Server) writeIntegration(w http.ResponseWriter, r *http.Request, in *integration.Integration) error {
	v, err := s.view(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, in.Version))
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	in, err := s.loadIntegration(r.Context(), p)
	if err != nil {
		return err
	}
	return s.writeIntegration(w, r, in)
}

// settingsBody is step 1. Fields left out keep their saved value.
type settingsBody struct {
	Frequency                  *string             `json:"frequency"`
	TimeOfDay                  *string             `json:"timeOfDay"`
	Weekday                    *string             `json:"weekday"`
	TimeZone                   *string             `json:"timeZone"`
	DateFormat                 *string             `json:"dateFormat"`
	WelcomeEmail               *bool               `json:"welcomeEmail"`
	SummaryRecipients          *[]string           `json:"summaryRecipients"`
	CloseMissingMembers        *bool               `json:"closeMissingMembers"`
	MassChangeThresholdPercent *int                `json:"massChangeThresholdPercent"`
	EmailWhenNothingChanged    *bool               `json:"emailWhenNothingChanged"`
	Scope                      *[]engine.ScopeRule `json:"scope"`
	WelcomeTiming              *string             `json:"welcomeTiming"`
	InviteReminders            *bool               `json:"inviteReminders"`
}

func (b settingsBody) apply(st *integration.Settings) []FieldProblem {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&st.Frequency, b.Frequency)
	set(&st.TimeOfDay, b.TimeOfDay)
	set(&st.Weekday, b.Weekday)
	set(&st.TimeZone, b.TimeZone)
	set(&st.DateFormat, b.DateFormat)
	set(&st.WelcomeTiming, b.WelcomeTiming)
	for dst, v := range map[*bool]*bool{&st.WelcomeEmail: b.WelcomeEmail, &st.CloseMissingMembers: b.CloseMissingMembers,
		&st.EmailWhenNothingChanged: b.EmailWhenNothingChanged, &st.InviteReminders: b.InviteReminders} {
		if v != nil {
			*dst = *v
		}
	}
	if b.MassChangeThresholdPercent != nil {
		st.MassChangeThresholdPercent = *b.MassChangeThresholdPercent
	}
	if b.SummaryRecipients != nil {
		st.SummaryRecipients = *b.SummaryRecipients
	}
	if b.Scope != nil {
		st.Scope = *b.Scope
	}

	for i, a := range st.SummaryRecipients {
		st.SummaryRecipients[i] = strings.ToLower(strings.TrimSpace(a))
	}
	if st.WelcomeTiming == "" {
		st.WelcomeTiming = integration.WelcomeOnCreation // saved before the option existed
	}
	problems := st.Validate()
	if spec, err := st.Schedule(); err == nil {
		st.Weekday = spec.Weekday // a daily or hourly schedule keeps no weekday
	}
	return fieldProblems(problems)
}

func (s *Server) putSettings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var body settingsBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	in, err := s.update(r, p, func(in *integration.Integration) error {
		problems := body.apply(&in.Settings)
		// Extra recipients in the saving admin's own domain only: a list
		// of outside addresses would make each import mail strangers.
		problems = append(problems, fieldProblems(in.Settings.ValidateRecipients(p.Email))...)
		if len(problems) > 0 {
			return invalid("Some settings are not valid.", problems...)
		}
		in.AdminEmail = p.Email // who saved the setup gets the summaries
		if in.Published && in.Key != nil && in.State != integration.StateNeedsReauthorization {
			return in.ScheduleFrom(s.now())
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.audit(r.Context(), p, integration.AuditSettingsSaved, fmt.Sprintf("settings version %d", in.Version))
	return s.writeIntegration(w, r, in)
}

// apiKeyPattern is what PeopleHR keys look like (UUIDs, 32 hex), with room
// to spare; anything else is refused before it reaches PeopleHR.
var apiKeyPattern = regexp.MustCompile(`^[A-Za-z0-9-]{16,128}$`)

// authorizeTimeout keeps the key check inside API Gateway's 30 s.
const authorizeTimeout = 20 * time.Second

func (s *Server) authorize(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var body struct {
		APIKey string `json:"apiKey"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	// The bare key is checked and stored: PeopleHR knows no other form.
	key := peoplehr.NormalizeKey(body.APIKey)
	if !apiKeyPattern.MatchString(key) {
		return invalid("That does not look like a PeopleHR API key.", FieldProblem{"apiKey", "paste the whole key from PeopleHR: Settings > API"})
	}
	ctx, cancel := context.WithTimeout(r.Context(), authorizeTimeout)
	defer cancel()
	employees, err := countEmployees(ctx, s.feed, key)
	if err != nil {
		return keyError(err)
	}
	sealed, err := s.keys.Seal(r.Context(), p.TenantID, key)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	in, err := s.update(r, p, func(in *integration.Integration) error {
		in.Key = &integration.SealedKey{Ciphertext: sealed, Last4: secrets.Last4(key), AddedAt: now}
		in.InvalidKeyStreak, in.ReauthNotice = 0, integration.MailNone
		if in.State == integration.StateNeedsReauthorization {
			in.State = integration.StateDraft
			if in.Published {
				in.State = integration.StateLive
			}
		}
		if in.Published {
			return in.ScheduleFrom(now)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.audit(r.Context(), p, integration.AuditKeyAdded, fmt.Sprintf("a PeopleHR key that sees %d employees", employees))
	writeJSON(w, http.StatusOK, map[string]any{
		"status": "authorized", "keyLast4": in.Key.Last4, "addedAt": now, "employeesVisible": employees,
	})
	return nil
}

func countEmployees(ctx context.Context, feed Feed, key string) (int, error) {
	return feed.FetchAll(ctx, key, func() func(map[string]string) error {
		return func(map[string]string) error { return nil }
	})
}

// keyError says in plain words why PeopleHR would not serve a key.
func keyError(err error) error {
	switch {
	case errors.Is(err, peoplehr.ErrInvalidKey):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_key", Message: "PeopleHR did not accept this API key. Check that it was copied whole and has not been deleted in PeopleHR."}
	case errors.Is(err, peoplehr.ErrMissingPermission):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "missing_permission", Message: `This key cannot read employees. In PeopleHR, give it the Employee application's "Get All Employee Detail" action.`}
	case errors.Is(err, peoplehr.ErrRateLimited):
		// Not the key's fault: other integrations of the company may have
		// used up the calls of this minute.
		return &Error{Status: http.StatusTooManyRequests, RetryAfter: 60, Code: "rate_limited", Message: "PeopleHR is limiting API calls for your company right now. Try again in a minute."}
	case errors.Is(err, peoplehr.ErrMalformed):
		return &Error{Status: http.StatusBadGateway, Code: "peoplehr_error", Message: "PeopleHR sent a malformed response. Try again in a few minutes."}
	case errors.Is(err, peoplehr.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Code: "peoplehr_unavailable", Message: "PeopleHR could not be reached. Try again in a few minutes."}
	}
	// PeopleHR's own words are not shown: they are whatever its server (or
	// whoever answers at its address) chose to say, to an admin who trusts
	// this page. They go to the log, as the client left them (key cut out,
	// length bounded, quoted).
	return &refusal{
		shown: &Error{Status: http.StatusBadGateway, Code: "peoplehr_error", Message: "PeopleHR refused the request for a reason we do not recognise. Try again later; if it persists, contact support with the request id."},
		cause: err,
	}
}

// refusal is an answer in our words whose cause only the log sees.
type refusal struct {
	shown *Error
	cause error
}

func (e *refusal) Error() string   { return e.shown.Code + ": " + e.cause.Error() }
func (e *refusal) Unwrap() []error { return []error{e.shown, e.cause} }

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	in, err := s.update(r, p, func(in *integration.Integration) error {
		if in.Key == nil {
			return errNoKey
		}
		in.Key = nil // unscheduled with it; a running run stops after its batch
		return nil
	})
	if err != nil {
		return err
	}
	s.audit(r.Context(), p, integration.AuditKeyRevoked, "the stored PeopleHR key deleted")
	return s.writeIntegration(w, r, in)
}

// openKey opens the caller's stored key for a call to PeopleHR.
func (s *Server) openKey(ctx context.Context, in *integration.Integration) (string, error) {
	if in.Key == nil {
		return "", errNoKey
	}
	return s.keys.Open(ctx, in.TenantID, in.Key.Ciphertext)
}
