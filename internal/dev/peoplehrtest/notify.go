package peoplehrtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
)

// The actions the sandbox posts. PeopleHR's list names about 50 with
// these first three numbered 1 to 3; holiday, absence, salary and
// benefit actions follow from 4. It mentions an employee-deleted action
// without its number or wording, so the sandbox picks "Employee Deleted"
// with an ID far above the listed ones, where it cannot pass for a
// holiday or salary action: a listener must treat any action it does
// not know as "re-read this employee", and a re-read that finds no
// employee is what says "deleted".
const (
	ActionIDNewStarter      = 1
	ActionIDDetailUpdated   = 2
	ActionIDMarkedLeaver    = 3
	ActionIDEmployeeDeleted = 100

	ActionNewStarter      = "New Starter Added"
	ActionDetailUpdated   = "Employee Detail Updated"
	ActionMarkedLeaver    = "Marked Leaver"
	ActionEmployeeDeleted = "Employee Deleted"
)

// notifyTimeout bounds one post. PeopleHR documents neither a timeout
// nor retries, so a post that fails is lost, as it would be.
const notifyTimeout = 5 * time.Second

// drainLimit bounds how much of a listener's answer is read before the
// connection is reused.
const drainLimit = 64 << 10

// Notification is one change notification: PeopleHR's flat data packet.
// Empty fields are left out on the wire.
type Notification struct {
	ActionID   int
	Action     string
	EmployeeID string
	FieldName  string
	OldValue   string
	NewValue   string
	Reason     string
}

// wireNotification is the JSON encoding. Its fields are Notification's,
// in the same order, so one converts to the other.
type wireNotification struct {
	ActionID   int    `json:"ActionId,omitempty"`
	Action     string `json:"Action,omitempty"`
	EmployeeID string `json:"EmployeeId,omitempty"`
	FieldName  string `json:"FieldName,omitempty"`
	OldValue   string `json:"OldValue,omitempty"`
	NewValue   string `json:"NewValue,omitempty"`
	Reason     string `json:"Reason,omitempty"`
}

// encode returns the body and its content type. PeopleHR's encoding is
// unconfirmed, so the sandbox can send either and a listener must take
// both.
func (n Notification) encode(form bool) ([]byte, string) {
	if !form {
		// Marshalling strings and an int cannot fail.
		b, _ := json.Marshal(wireNotification(n))
		return b, "application/json"
	}
	v := url.Values{}
	for _, f := range []struct{ key, value string }{
		{"Action", n.Action}, {"EmployeeId", n.EmployeeID}, {"FieldName", n.FieldName},
		{"OldValue", n.OldValue}, {"NewValue", n.NewValue}, {"Reason", n.Reason},
	} {
		if f.value != "" {
			v.Set(f.key, f.value)
		}
	}
	if n.ActionID != 0 {
		v.Set("ActionId", strconv.Itoa(n.ActionID))
	}
	return []byte(v.Encode()), "application/x-www-form-urlencoded"
}

// NotifyFaults are the probabilities, each from 0 to 1, of what may
// happen to the notifications of one change on their way: each one may be
// dropped or sent twice, and the batch may arrive shuffled. PeopleHR
// promises no delivery, so a listener must converge in spite of all three.
type NotifyFaults struct {
	Duplicate, Reorder, Drop float64
}

// notifiedField is an Employee field PeopleHR reports changes of, under
// the name its screens show. Only "Other Name(s)" is confirmed (from the
// vendor's example); the others are the labels of PeopleHR's employee
// screens as best known, and custom columns keep their API names. A
// listener must not depend on them: a notification only says which
// employee to re-read.
type notifiedField struct {
	wire, display string
	get           func(*Employee) string
}

var notifiedFields = []notifiedField{
	{"Title", "Title", func(e *Employee) string { return e.Title }},
	{"FirstName", "First Name", func(e *Employee) string { return e.FirstName }},
	{"LastName", "Last Name", func(e *Employee) string { return e.LastName }},
	{"OtherName", "Other Name(s)", func(e *Employee) string { return e.OtherName }},
	{"KnownAs", "Known As", func(e *Employee) string { return e.KnownAs }},
	{"EmailId", "Email Address", func(e *Employee) string { return e.EmailID }},
	{"StartDate", "Start Date", func(e *Employee) string { return e.StartDate }},
	{"DateOfBirth", "Date of Birth", func(e *Employee) string { return e.DateOfBirth }},
	{"JobRole", "Job Role", func(e *Employee) string { return e.JobRole }},
	{"Company", "Company", func(e *Employee) string { return e.Company }},
	{"Location", "Location", func(e *Employee) string { return e.Location }},
	{"Department", "Department", func(e *Employee) string { return e.Department }},
	{"ReportsTo", "Reports To", func(e *Employee) string { return e.ReportsTo }},
	{"ReportsToEmployeeId", "Reports To Employee Id", func(e *Employee) string { return e.ReportsToEmployeeID }},
	{"EmploymentType", "Employment Type", func(e *Employee) string { return e.EmploymentType }},
	{"EmployeeStatus", "Employee Status", func(e *Employee) string { return e.EmployeeStatus }},
	{"Gender", "Gender", func(e *Employee) string { return e.Gender }},
	{"NISNumber", "NI Number", func(e *Employee) string { return e.NISNumber }},
	{"LeavingDate", "Leaving Date", func(e *Employee) string { return e.LeavingDate }},
	{"ReasonForLeaving", "Reason For Leaving", func(e *Employee) string { return e.ReasonForLeaving }},
	{"APIColumn1", "APIColumn1", func(e *Employee) string { return e.APIColumn1 }},
	{"APIColumn2", "APIColumn2", func(e *Employee) string { return e.APIColumn2 }},
	{"APIColumn3", "APIColumn3", func(e *Employee) string { return e.APIColumn3 }},
	{"APIColumn4", "APIColumn4", func(e *Employee) string { return e.APIColumn4 }},
	{"APIColumn5", "APIColumn5", func(e *Employee) string { return e.APIColumn5 }},
	{"ContactDetail.Address", "Address", func(e *Employee) string { return e.ContactDetail.Address }},
	{"ContactDetail.WorkPhoneNumber", "Work Phone Number", func(e *Employee) string { return e.ContactDetail.WorkPhoneNumber }},
	{"ContactDetail.PersonalPhoneNumber", "Personal Phone Number", func(e *Employee) string { return e.ContactDetail.PersonalPhoneNumber }},
	{"ContactDetail.PersonalEmail", "Personal Email", func(e *Employee) string { return e.ContactDetail.PersonalEmail }},
	{"ContactDetail.Mobile", "Mobile", func(e *Employee) string { return e.ContactDetail.Mobile }},
	{"EmploymentDetail.PayrollCompany", "Payroll Company", func(e *Employee) string { return e.EmploymentDetail.PayrollCompany }},
	{"EmploymentDetail.PayrollID", "Payroll ID", func(e *Employee) string { return e.EmploymentDetail.PayrollID }},
	{"EmploymentDetail.BenefitsID", "Benefits ID", func(e *Employee) string { return e.EmploymentDetail.BenefitsID }},
	{"BankDetail.AccountName", "Account Name", func(e *Employee) string { return e.BankDetail.AccountName }},
	{"BankDetail.AccountNumber", "Account Number", func(e *Employee) string { return e.BankDetail.AccountNumber }},
	{"BankDetail.SortCode", "Sort Code", func(e *Employee) string { return e.BankDetail.SortCode }},
}

// leaver reports whether PeopleHR has marked e as leaving: a leaving date
// is set, even a future one, or the status is no longer active.
func leaver(e *Employee) bool { return e.LeavingDate != "" || e.Left() }

// changes returns the notifications for the directory going from old to
// new, in a fixed order so that faults drawn from a seed replay: per
// employee of new, a new starter, or one update per changed field
// followed by Marked Leaver when it became a leaver; then one deletion
// per employee of old that is gone. An ID listed twice counts once, at
// its first place.
func changes(old, new []Employee) []Notification {
	before := make(map[string]*Employee, len(old))
	for i := range old {
		if _, dup := before[old[i].EmployeeID]; !dup {
			before[old[i].EmployeeID] = &old[i]
		}
	}
	var notes []Notification
	seen := make(map[string]bool, len(new))
	for i := range new {
		e := &new[i]
		if seen[e.EmployeeID] {
			continue
		}
		seen[e.EmployeeID] = true
		was, ok := before[e.EmployeeID]
		if !ok {
			notes = append(notes, Notification{ActionID: ActionIDNewStarter, Action: ActionNewStarter, EmployeeID: e.EmployeeID})
			continue
		}
		notes = append(notes, fieldChanges(was, e)...)
		if !leaver(was) && leaver(e) {
			notes = append(notes, Notification{ActionID: ActionIDMarkedLeaver, Action: ActionMarkedLeaver, EmployeeID: e.EmployeeID})
		}
	}
	for i := range old {
		if id := old[i].EmployeeID; !seen[id] {
			seen[id] = true
			notes = append(notes, Notification{ActionID: ActionIDEmployeeDeleted, Action: ActionEmployeeDeleted, EmployeeID: id})
		}
	}
	return notes
}

// fieldChanges is one update per field that differs. A withheld field's
// change is reported without its values: bank details and national
// identifiers must not travel to a listener that may log what it gets.
func fieldChanges(was, now *Employee) []Notification {
	var notes []Notification
	for _, f := range notifiedFields {
		oldValue, newValue := f.get(was), f.get(now)
		if oldValue == newValue {
			continue
		}
		n := Notification{ActionID: ActionIDDetailUpdated, Action: ActionDetailUpdated, EmployeeID: now.EmployeeID, FieldName: f.display}
		if engine.Withheld(f.wire) == "" {
			n.OldValue, n.NewValue = oldValue, newValue
		}
		notes = append(notes, n)
	}
	return notes
}

// listener is where and how one batch is posted, fixed when it is queued
// so that a later SetListener does not redirect it halfway.
type listener struct {
	url  *url.URL
	form bool
}

// SetListener sets the URL notifications are posted to, as a customer
// does under Settings -> API; "" stops them. The URL carries the
// listener's secret, so neither it nor an error about it is ever logged
// or returned beyond its host.
func (s *Server) SetListener(rawURL string) error {
	var u *url.URL
	if rawURL != "" {
		var err error
		u, err = url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("peoplehrtest: the listener URL must be an absolute http or https URL")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listenerURL = u
	return nil
}

// SetNotifyForm picks form fields (true) or JSON (false) for the
// notifications queued from now on.
func (s *Server) SetNotifyForm(form bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifyForm = form
}

// SetNotifyFaults sets the faults played on the notifications of each
// change from now on, drawn from a generator seeded with seed: the same
// seed and the same changes give the same notifications in the same
// order within each batch.
func (s *Server) SetNotifyFaults(f NotifyFaults, seed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifyFaults, s.rng = f, newRand(seed)
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }

// current is the listener to post to now; s.mu is held.
func (s *Server) current() (listener, bool) {
	return listener{url: s.listenerURL, form: s.notifyForm}, s.listenerURL != nil
}

// notifyChange queues the notifications for the directory going from old
// to new, faults played; s.mu is held.
func (s *Server) notifyChange(old, new []Employee) {
	l, ok := s.current()
	if !ok || s.closed {
		return
	}
	batch := s.playFaults(changes(old, new))
	if len(batch) == 0 {
		return
	}
	if s.pending == 0 {
		s.idle = make(chan struct{})
	}
	s.pending++
	// A goroutine per batch keeps SetEmployees from waiting on the
	// listener; batches may overlap, as PeopleHR's may, but the posts of
	// one go out in order.
	go func() {
		defer s.batchDone()
		_ = s.postAll(context.Background(), l, batch)
	}()
}

// playFaults drops, duplicates and shuffles a batch; s.mu is held.
func (s *Server) playFaults(batch []Notification) []Notification {
	f := s.notifyFaults
	out := make([]Notification, 0, len(batch))
	for _, n := range batch {
		if s.rng.Float64() < f.Drop {
			continue
		}
		out = append(out, n)
		if s.rng.Float64() < f.Duplicate {
			out = append(out, n)
		}
	}
	if s.rng.Float64() < f.Reorder {
		s.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out
}

func (s *Server) batchDone() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending--; s.pending == 0 {
		close(s.idle)
	}
}

// WaitNotified waits until every notification queued by a change so far
// has been posted or given up on, so a test can look at what its
// listener got.
func (s *Server) WaitNotified() {
	s.mu.Lock()
	idle, pending := s.idle, s.pending
	s.mu.Unlock()
	if pending > 0 {
		<-idle
	}
}

// Notified returns how many notifications were posted and how many of
// those the listener answered with a 2xx.
func (s *Server) Notified() (sent, ok int) {
	return int(s.sent.Load()), int(s.answered.Load())
}

// errNoListener and errClosed are why Notify or NotifyBurst posted nothing.
var (
	errNoListener = errors.New("peoplehrtest: no listener is set")
	errClosed     = errors.New("peoplehrtest: the sandbox is closed")
)

// Notify posts notes to the listener, in order and without faults, and
// returns once each was posted: a test's way to send exactly what it
// wants. The error joins the failed posts'.
func (s *Server) Notify(ctx context.Context, notes ...Notification) error {
	s.mu.Lock()
	l, ok := s.current()
	s.mu.Unlock()
	if !ok {
		return errNoListener
	}
	return s.postAll(ctx, l, notes)
}

// NotifyBurst posts an "Employee Detail Updated" for each ID all at once,
// as PeopleHR would after a bulk edit, and returns when all were posted.
func (s *Server) NotifyBurst(ctx context.Context, ids []string) error {
	s.mu.Lock()
	l, ok := s.current()
	s.mu.Unlock()
	if !ok {
		return errNoListener
	}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			errs[i] = s.postAll(ctx, l, []Notification{{ActionID: ActionIDDetailUpdated, Action: ActionDetailUpdated, EmployeeID: id}})
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// postAll posts notes one after the other. It stops when ctx is done or
// the server closes, which lets the post in flight finish (it is bounded
// by notifyTimeout) but starts no other.
func (s *Server) postAll(ctx context.Context, l listener, notes []Notification) error {
	var errs []error
	for _, n := range notes {
		select {
		case <-s.quit:
			return errors.Join(append(errs, errClosed)...)
		default:
		}
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, fmt.Errorf("peoplehrtest: notifying: %w", err))...)
		}
		if err := s.post(ctx, l, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// post makes one POST, once: PeopleHR documents no retries.
func (s *Server) post(ctx context.Context, l listener, n Notification) error {
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	body, contentType := n.encode(l.form)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.url.String(), bytes.NewReader(body))
	if err != nil {
		// The cause would quote the URL.
		return s.notifyFailed(ctx, l, n, errors.New("the request could not be built"))
	}
	req.Header.Set("Content-Type", contentType)
	s.sent.Add(1)
	resp, err := s.notifyHTTP.Do(req)
	if err != nil {
		return s.notifyFailed(ctx, l, n, withoutURL(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return s.notifyFailed(ctx, l, n, fmt.Errorf("the listener answered HTTP %d", resp.StatusCode))
	}
	s.answered.Add(1)
	return nil
}

// withoutURL drops the URL a *url.Error quotes, secret and all, keeping
// what went wrong.
func withoutURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// notifyFailed logs and returns a failed post, naming the listener by its
// host only.
func (s *Server) notifyFailed(ctx context.Context, l listener, n Notification, cause error) error {
	err := fmt.Errorf("peoplehrtest: notifying %s of %q for %s: %w", l.url.Host, n.Action, n.EmployeeID, cause)
	s.log.WarnContext(ctx, "peoplehrtest: notification not delivered",
		"listener_host", l.url.Host, "action", n.Action, "employee_id", n.EmployeeID, "error", cause.Error())
	return err
}
