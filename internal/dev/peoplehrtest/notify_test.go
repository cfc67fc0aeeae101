package peoplehrtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
)

// received is one notification as a listener got it.
type received struct {
	contentType string
	body        string
	note        peoplehrtest.Notification
}

// recorder is a listener that keeps what it gets, in arrival order, and
// reads both encodings the way the service's listener must.
type recorder struct {
	*httptest.Server
	status  int
	release chan struct{} // when set, each request waits for it to close
	entered chan struct{} // told of each request when release is set

	mu  sync.Mutex
	got []received
}

func newRecorder(t *testing.T, status int) *recorder {
	t.Helper()
	r := &recorder{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	data, _ := io.ReadAll(req.Body)
	got := received{contentType: req.Header.Get("Content-Type"), body: string(data)}
	if got.contentType == "application/x-www-form-urlencoded" {
		req.Body = io.NopCloser(bytes.NewReader(data))
		_ = req.ParseForm()
		id, _ := strconv.Atoi(req.PostForm.Get("ActionId"))
		got.note = peoplehrtest.Notification{
			ActionID: id, Action: req.PostForm.Get("Action"), EmployeeID: req.PostForm.Get("EmployeeId"),
			FieldName: req.PostForm.Get("FieldName"), OldValue: req.PostForm.Get("OldValue"),
			NewValue: req.PostForm.Get("NewValue"), Reason: req.PostForm.Get("Reason"),
		}
	} else {
		var n struct {
			ActionID                                                  int `json:"ActionId"`
			Action, EmployeeID, FieldName, OldValue, NewValue, Reason string
		}
		_ = json.Unmarshal(data, &n)
		got.note = peoplehrtest.Notification{
			ActionID: n.ActionID, Action: n.Action, EmployeeID: n.EmployeeID,
			FieldName: n.FieldName, OldValue: n.OldValue, NewValue: n.NewValue, Reason: n.Reason,
		}
	}
	r.mu.Lock()
	r.got = append(r.got, got)
	r.mu.Unlock()
	if r.release != nil {
		r.entered <- struct{}{}
		<-r.release
	}
	w.WriteHeader(r.status)
}

func (r *recorder) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *recorder) notes() []peoplehrtest.Notification {
	var notes []peoplehrtest.Notification
	for _, g := range r.all() {
		notes = append(notes, g.note)
	}
	return notes
}

func listenTo(t *testing.T, s *peoplehrtest.Server, rawURL string) {
	t.Helper()
	if err := s.SetListener(rawURL); err != nil {
		t.Fatalf("SetListener: %v", err)
	}
}

func colleague() peoplehrtest.Employee {
	e := sample()
	e.EmployeeID, e.FirstName, e.EmailID = "PW0043", "Amelia", "amelia@example.com"
	return e
}

func updated(id, field, oldValue, newValue string) peoplehrtest.Notification {
	return peoplehrtest.Notification{ActionID: 2, Action: "Employee Detail Updated", EmployeeID: id, FieldName: field, OldValue: oldValue, NewValue: newValue}
}

func TestChangeNotifications(t *testing.T) {
	newStarter := sample()
	newStarter.EmployeeID = "PW0044"
	tests := []struct {
		name   string
		change func([]peoplehrtest.Employee) []peoplehrtest.Employee
		want   []peoplehrtest.Notification
	}{
		{"no change", func(es []peoplehrtest.Employee) []peoplehrtest.Employee { return es }, nil},
		{"new starter", func(es []peoplehrtest.Employee) []peoplehrtest.Employee { return append(es, newStarter) },
			[]peoplehrtest.Notification{{ActionID: 1, Action: "New Starter Added", EmployeeID: "PW0044"}}},
		{"one field, by its display name", func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
			es[0].OtherName = "Am"
			return es
		}, []peoplehrtest.Notification{updated("PW0042", "Other Name(s)", "", "Am")}},
		{"fields in a fixed order", func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
			es[1].ContactDetail.Mobile, es[1].LastName = "07700 900999", "Smith"
			return es
		}, []peoplehrtest.Notification{
			updated("PW0043", "Last Name", "O'Brien", "Smith"),
			updated("PW0043", "Mobile", "07700 900123", "07700 900999"),
		}},
		{"marked leaver by leaving date", func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
			es[0].LeavingDate, es[0].ReasonForLeaving = "2026-12-31", "Resigned"
			return es
		}, []peoplehrtest.Notification{
			updated("PW0042", "Leaving Date", "", "2026-12-31"),
			updated("PW0042", "Reason For Leaving", "", "Resigned"),
			{ActionID: 3, Action: "Marked Leaver", EmployeeID: "PW0042"},
		}},
		{"marked leaver by status", func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
			es[1].EmployeeStatus = "2"
			return es
		}, []peoplehrtest.Notification{
			updated("PW0043", "Employee Status", "1", "2"),
			{ActionID: 3, Action: "Marked Leaver", EmployeeID: "PW0043"},
		}},
		{"deleted", func(es []peoplehrtest.Employee) []peoplehrtest.Employee { return es[1:] },
			[]peoplehrtest.Notification{{ActionID: 100, Action: "Employee Deleted", EmployeeID: "PW0042"}}},
		{"withheld fields without their values", func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
			es[0].NISNumber, es[0].BankDetail.SortCode = "QQ123456C", "99-88-77"
			return es
		}, []peoplehrtest.Notification{
			{ActionID: 2, Action: "Employee Detail Updated", EmployeeID: "PW0042", FieldName: "NI Number"},
			{ActionID: 2, Action: "Employee Detail Updated", EmployeeID: "PW0042", FieldName: "Sort Code"},
		}},
		{"all kinds at once", func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
			es[1].KnownAs = "Millie"
			return append(es[1:], newStarter)
		}, []peoplehrtest.Notification{
			updated("PW0043", "Known As", "", "Millie"),
			{ActionID: 1, Action: "New Starter Added", EmployeeID: "PW0044"},
			{ActionID: 100, Action: "Employee Deleted", EmployeeID: "PW0042"},
		}},
	}
	for _, tt := range tests {
		for _, form := range []bool{false, true} {
			for _, via := range []string{"SetEmployees", "Update"} {
				t.Run(fmt.Sprintf("%s/form %v/%s", tt.name, form, via), func(t *testing.T) {
					l := newRecorder(t, http.StatusOK)
					s := newServer(t, peoplehrtest.Options{Employees: []peoplehrtest.Employee{sample(), colleague()}, NotifyForm: form})
					listenTo(t, s, l.URL+"/hook")
					if via == "Update" {
						s.Update(tt.change)
					} else {
						s.SetEmployees(tt.change(s.Employees()))
					}
					s.WaitNotified()
					got := l.notes()
					if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
						t.Errorf("notifications:\n got %+v\nwant %+v", got, tt.want)
					}
					if sent, ok := s.Notified(); sent != len(tt.want) || ok != len(tt.want) {
						t.Errorf("Notified() = %d, %d; want %d, %d", sent, ok, len(tt.want), len(tt.want))
					}
				})
			}
		}
	}
}

func TestNotificationEncodings(t *testing.T) {
	example := peoplehrtest.Notification{ActionID: 2, Action: "Employee Detail Updated", EmployeeID: "PW1", FieldName: "Other Name(s)", OldValue: "zz", NewValue: "Am", Reason: "Test"}
	starter := peoplehrtest.Notification{ActionID: 1, Action: "New Starter Added", EmployeeID: "PW21"}
	tests := []struct {
		name        string
		opts        peoplehrtest.Options
		setForm     *bool
		note        peoplehrtest.Notification
		contentType string
		body        string
	}{
		{"JSON by default", peoplehrtest.Options{}, nil, example, "application/json",
			`{"ActionId":2,"Action":"Employee Detail Updated","EmployeeId":"PW1","FieldName":"Other Name(s)","OldValue":"zz","NewValue":"Am","Reason":"Test"}`},
		{"JSON leaves empty fields out", peoplehrtest.Options{}, nil, starter, "application/json",
			`{"ActionId":1,"Action":"New Starter Added","EmployeeId":"PW21"}`},
		{"form from Options", peoplehrtest.Options{NotifyForm: true}, nil, example, "application/x-www-form-urlencoded",
			"Action=Employee+Detail+Updated&ActionId=2&EmployeeId=PW1&FieldName=Other+Name%28s%29&NewValue=Am&OldValue=zz&Reason=Test"},
		{"form from the setter", peoplehrtest.Options{}, new(true), starter, "application/x-www-form-urlencoded",
			"Action=New+Starter+Added&ActionId=1&EmployeeId=PW21"},
		{"JSON again from the setter", peoplehrtest.Options{NotifyForm: true}, new(false), starter, "application/json",
			`{"ActionId":1,"Action":"New Starter Added","EmployeeId":"PW21"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newRecorder(t, http.StatusNoContent)
			s := newServer(t, tt.opts)
			listenTo(t, s, l.URL)
			if tt.setForm != nil {
				s.SetNotifyForm(*tt.setForm)
			}
			if err := s.Notify(context.Background(), tt.note); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			got := l.all()
			if len(got) != 1 || got[0].contentType != tt.contentType || got[0].body != tt.body || got[0].note != tt.note {
				t.Fatalf("got %+v\nwant %s %s", got, tt.contentType, tt.body)
			}
		})
	}
}

// The same seed and the same changes give the same notifications in the
// same order, whether the seed comes from Options or the setter.
func TestNotifyFaultsAreReproducible(t *testing.T) {
	faults := peoplehrtest.NotifyFaults{Duplicate: 0.2, Reorder: 0.5, Drop: 0.2}
	run := func(t *testing.T, f peoplehrtest.NotifyFaults, seed uint64, setter bool) []peoplehrtest.Notification {
		opts := peoplehrtest.Options{Employees: peoplehrtest.Generate(60, 3, today)}
		if !setter {
			opts.NotifyFaults, opts.NotifySeed = f, seed
		}
		s := newServer(t, opts)
		if setter {
			s.SetNotifyFaults(f, seed)
		}
		l := newRecorder(t, http.StatusOK)
		listenTo(t, s, l.URL)
		for round := range 3 {
			s.Update(func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
				for i := range es {
					es[i].JobRole = fmt.Sprintf("Role %d", round)
				}
				return es[5:]
			})
			// Batches may overlap; one at a time keeps arrival order
			// comparable.
			s.WaitNotified()
		}
		if sent, _ := s.Notified(); sent != len(l.all()) {
			t.Errorf("Notified() sent %d, the listener got %d", sent, len(l.all()))
		}
		return l.notes()
	}
	clean := run(t, peoplehrtest.NotifyFaults{}, 7, false)
	first := run(t, faults, 7, false)
	tests := []struct {
		name string
		got  []peoplehrtest.Notification
		same bool
	}{
		{"same seed", run(t, faults, 7, false), true},
		{"same seed from the setter", run(t, faults, 7, true), true},
		{"another seed", run(t, faults, 8, false), false},
		{"no faults", clean, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if reflect.DeepEqual(tt.got, first) != tt.same {
				t.Errorf("same sequence = %v, want %v (%d and %d notifications)", !tt.same, tt.same, len(tt.got), len(first))
			}
		})
	}
	// Each round updates the employees left and deletes five of them.
	if want := 60 + 55 + 50; len(clean) != want {
		t.Errorf("without faults %d notifications, want %d", len(clean), want)
	}
}

// Bank details and national identifiers never travel in a notification,
// whatever changed and however it is encoded.
func TestNotificationsNeverCarryWithheldValues(t *testing.T) {
	before := sample()
	before.NISNumber = "QQ123456C"
	after := before
	after.NISNumber = "QQ654321D"
	after.BankDetail = peoplehrtest.BankDetail{AccountName: "MRS Z SMITH", AccountNumber: "87654321", SortCode: "99-88-77"}
	after.LastName, after.LeavingDate = "Smith", "2026-12-31"
	secrets := []string{before.NISNumber, after.NISNumber, before.BankDetail.AccountName, before.BankDetail.AccountNumber,
		before.BankDetail.SortCode, after.BankDetail.AccountName, after.BankDetail.AccountNumber, after.BankDetail.SortCode}
	for _, form := range []bool{false, true} {
		t.Run(fmt.Sprintf("form %v", form), func(t *testing.T) {
			l := newRecorder(t, http.StatusOK)
			s := newServer(t, peoplehrtest.Options{Employees: []peoplehrtest.Employee{before}, NotifyForm: form})
			listenTo(t, s, l.URL)
			s.SetEmployees([]peoplehrtest.Employee{after})
			s.SetEmployees(nil)
			s.SetEmployees([]peoplehrtest.Employee{before})
			s.WaitNotified()
			got := l.all()
			if len(got) < 8 {
				t.Fatalf("only %d notifications", len(got))
			}
			for _, g := range got {
				for _, secret := range secrets {
					if strings.Contains(g.body, secret) || strings.Contains(g.body, strings.ReplaceAll(secret, " ", "+")) {
						t.Errorf("notification %s carries %q", g.body, secret)
					}
				}
			}
		})
	}
}

// Close lets the post in flight finish, starts no other, and returns only
// when the notifying goroutine is done.
func TestCloseWaitsForInFlightPost(t *testing.T) {
	l := newRecorder(t, http.StatusOK)
	l.release, l.entered = make(chan struct{}), make(chan struct{}, 1)
	s := peoplehrtest.New(peoplehrtest.Options{Employees: []peoplehrtest.Employee{sample()}})
	listenTo(t, s, l.URL)
	changed := sample()
	changed.FirstName, changed.LastName = "Zoe", "Smith" // two posts
	s.SetEmployees([]peoplehrtest.Employee{changed})
	<-l.entered
	go func() {
		time.Sleep(50 * time.Millisecond)
		close(l.release)
	}()
	s.Close()
	if sent, ok := s.Notified(); sent != 1 || ok != 1 {
		t.Errorf("after Close, Notified() = %d, %d; want 1, 1 (the post in flight answered, the next not started)", sent, ok)
	}
	if n := len(l.all()); n != 1 {
		t.Errorf("the listener got %d posts, want 1", n)
	}
	s.SetEmployees([]peoplehrtest.Employee{sample()})
	if err := s.Notify(context.Background(), updated("PW0042", "First Name", "", "")); err == nil {
		t.Error("Notify after Close succeeded")
	}
	if sent, _ := s.Notified(); sent != 1 {
		t.Errorf("posted %d after Close", sent-1)
	}
}

// The listener URL carries the customer's secret: failures name its host
// only, in logs and in errors.
func TestListenerURLNeverLogged(t *testing.T) {
	const secretPath, secretQuery = "/hooks/s3cr3t-path", "token=s3cr3t-query"
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	tests := []struct {
		name string
		base func(t *testing.T) string
		want string // in the error
	}{
		{"listener answers 500", func(t *testing.T) string { return newRecorder(t, http.StatusInternalServerError).URL }, "HTTP 500"},
		{"listener redirects", func(t *testing.T) string { return newRecorder(t, http.StatusFound).URL }, "HTTP 302"},
		{"listener down", func(t *testing.T) string { return deadURL }, "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := newServer(t, peoplehrtest.Options{
				Employees: []peoplehrtest.Employee{sample()},
				Logger:    slog.New(slog.NewJSONHandler(&logs, nil)),
			})
			base := tt.base(t)
			listenTo(t, s, base+secretPath+"?"+secretQuery)
			s.SetEmployees(nil)
			s.WaitNotified()
			err := s.Notify(context.Background(), updated("PW0042", "Other Name(s)", "zz", "Am"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Notify err = %v, want one saying %q", err, tt.want)
			}
			host := strings.TrimPrefix(base, "http://")
			if !strings.Contains(logs.String(), host) || !strings.Contains(err.Error(), host) {
				t.Errorf("the failure does not name the host %s:\n%s\n%v", host, logs.String(), err)
			}
			if strings.Count(logs.String(), "notification not delivered") != 2 {
				t.Errorf("want two failures logged:\n%s", logs.String())
			}
			for _, text := range []string{logs.String(), err.Error()} {
				if strings.Contains(text, "s3cr3t") {
					t.Errorf("the listener's secret leaked: %s", text)
				}
			}
		})
	}
}

func TestSetListenerRefusesBadURLs(t *testing.T) {
	for _, raw := range []string{"not a url?s3cr3t", "ftp://example.com/s3cr3t", "/relative/s3cr3t", "http:///s3cr3t", "http://exa mple.com/s3cr3t"} {
		t.Run(raw, func(t *testing.T) {
			s := newServer(t, peoplehrtest.Options{})
			err := s.SetListener(raw)
			if err == nil || strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("SetListener(%q) = %v, want an error that does not quote the URL", raw, err)
			}
		})
	}
}

func TestNoListenerNoNotifications(t *testing.T) {
	l := newRecorder(t, http.StatusOK)
	s := newServer(t, peoplehrtest.Options{Employees: []peoplehrtest.Employee{sample()}})
	s.SetEmployees(nil)
	listenTo(t, s, l.URL)
	listenTo(t, s, "")
	s.SetEmployees([]peoplehrtest.Employee{sample()})
	s.WaitNotified()
	if err := s.Notify(context.Background(), updated("PW0042", "", "", "")); err == nil {
		t.Error("Notify without a listener succeeded")
	}
	if err := s.NotifyBurst(context.Background(), []string{"PW1"}); err == nil {
		t.Error("NotifyBurst without a listener succeeded")
	}
	if sent, _ := s.Notified(); sent != 0 || len(l.all()) != 0 {
		t.Errorf("posted %d notifications without a listener", sent)
	}
}

func TestNotifyBurst(t *testing.T) {
	l := newRecorder(t, http.StatusOK)
	s := newServer(t, peoplehrtest.Options{})
	listenTo(t, s, l.URL)
	var ids []string
	for i := range 50 {
		ids = append(ids, fmt.Sprintf("PW%d", i))
	}
	if err := s.NotifyBurst(context.Background(), ids); err != nil {
		t.Fatalf("NotifyBurst: %v", err)
	}
	seen := map[string]bool{}
	for _, n := range l.notes() {
		if n.ActionID != 2 || n.Action != "Employee Detail Updated" {
			t.Errorf("burst posted %+v", n)
		}
		seen[n.EmployeeID] = true
	}
	if sent, ok := s.Notified(); len(seen) != len(ids) || sent != len(ids) || ok != len(ids) {
		t.Errorf("%d distinct IDs, Notified() = %d, %d; want %d each", len(seen), sent, ok, len(ids))
	}
}
