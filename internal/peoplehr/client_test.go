package peoplehr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

var today = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func envelope(status int, message string) string {
	return fmt.Sprintf(`{"isError":true,"Status":%d,"Message":%q,"Result":null}`, status, message)
}

const twoRecords = `{"isError":false,"Status":0,"Message":"ok","Result":[{"EmployeeId":"PW1"},{"EmployeeId":"PW2"}]}`

func TestFetchAllErrors(t *testing.T) {
	tests := []struct {
		name     string
		resp     response
		want     error // sentinel, or nil for "none of them"
		wantText string
	}{
		{"missing key", ok(envelope(1, "APIKey is missing.")), peoplehr.ErrInvalidKey, "rejected the API key"},
		{"invalid key", ok(envelope(2, "Invalid Api key.")), peoplehr.ErrInvalidKey, "Invalid Api key."},
		{"unknown key", ok(envelope(5, "API key does not exists.")), peoplehr.ErrInvalidKey, "API key does not exists."},
		{"no permission", ok(envelope(5, "No access on employee schema.")), peoplehr.ErrMissingPermission, "Get All Employee Detail"},
		{"permission wording", ok(envelope(5, "You do not have permission for this action")), peoplehr.ErrMissingPermission, "permission"},
		{"other validation", ok(envelope(5, "EmployeeId does not exists.")), nil, "EmployeeId does not exists."},
		{"action missing", ok(envelope(3, "Action is missing.")), nil, "status 3"},
		{"invalid action", ok(envelope(4, "Invalid action.")), nil, "Invalid action."},
		{"no JSON data", ok(envelope(7, "No JSON data.")), nil, "status 7"},
		{"empty form", ok(envelope(8, "Empty form data.")), nil, "status 8"},
		{"invalid JSON", ok(envelope(9, "Invalid JSON.")), nil, "status 9"},
		{"isError with status 0", ok(`{"isError":true,"Status":0,"Message":"Something odd."}`), nil, "Something odd."},
		{"HTTP 401", response{code: http.StatusUnauthorized}, peoplehr.ErrInvalidKey, "HTTP 401"},
		{"HTTP 403", response{code: http.StatusForbidden}, peoplehr.ErrInvalidKey, "HTTP 403"},
		{"HTTP 400", response{code: http.StatusBadRequest, body: "bad"}, nil, "HTTP 400"},
		{"HTTP 404", response{code: http.StatusNotFound}, nil, "HTTP 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCannedServer(t, tt.resp, ok(twoRecords))
			c, sl := newClient(srv.URL)
			_, n, err := fetchAll(t, c)
			var perr *peoplehr.Error
			if !errors.As(err, &perr) {
				t.Fatalf("err = %v, want *peoplehr.Error", err)
			}
			if n != 0 || perr.Attempts != 1 || srv.requests.Load() != 1 || len(sl.all()) != 0 {
				t.Errorf("retried or counted: n=%d attempts=%d requests=%d sleeps=%v",
					n, perr.Attempts, srv.requests.Load(), sl.all())
			}
			for _, sentinel := range sentinels {
				if got := errors.Is(err, sentinel); got != (sentinel == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, sentinel, got)
				}
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err %q does not mention %q", err, tt.wantText)
			}
		})
	}
}

func TestFetchAllRetriesThenSucceeds(t *testing.T) {
	employees := peoplehrtest.Generate(40, 1, today)
	tests := []struct {
		name  string
		fault peoplehrtest.Fault
	}{
		{"HTTP 503", peoplehrtest.Fault{Kind: peoplehrtest.FaultHTTP5xx, Times: 2}},
		{"Status 6", peoplehrtest.Fault{Kind: peoplehrtest.FaultInBandError}},
		{"truncated body", peoplehrtest.Fault{Kind: peoplehrtest.FaultTruncate, Times: 3}},
		{"connection reset", peoplehrtest.Fault{Kind: peoplehrtest.FaultReset}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := peoplehrtest.New(peoplehrtest.Options{Employees: employees, APIKey: testKey})
			t.Cleanup(sb.Close)
			sb.InjectFault(tt.fault)
			c, sl := newClient(sb.URL())
			f, n, err := fetchAll(t, c)
			if err != nil {
				t.Fatalf("FetchAll: %v", err)
			}
			attempts := max(tt.fault.Times, 1) + 1
			if n != len(employees) || len(f.records) != len(employees) {
				t.Errorf("n=%d, %d records, want %d", n, len(f.records), len(employees))
			}
			if f.starts != attempts || sb.Requests() != attempts {
				t.Errorf("starts=%d requests=%d, want %d", f.starts, sb.Requests(), attempts)
			}
			if waits := sl.all(); len(waits) != attempts-1 {
				t.Fatalf("waits = %v, want %d", waits, attempts-1)
			}
			for i, rec := range f.records {
				if rec["EmployeeId"] != employees[i].EmployeeID {
					t.Fatalf("record %d is %q, want %q", i, rec["EmployeeId"], employees[i].EmployeeID)
				}
			}
		})
	}
}

func TestFetchAllGivesUp(t *testing.T) {
	tests := []struct {
		name string
		resp response
	}{
		{"HTTP 502", response{code: http.StatusBadGateway, body: "<html>bad gateway</html>"}},
		{"HTTP 408", response{code: http.StatusRequestTimeout}},
		{"Status 6", ok(envelope(6, "Oops! Something went wrong."))},
		{"truncated", ok(`{"isError":false,"Status":0,"Result":[{"EmployeeId":"PW1"},{"Employ`)},
		{"cut off between values", ok(`{"isError":false,"Status":0,"Result":[{"EmployeeId":"PW1"},`)},
		{"cut off in a literal", ok(`{"isError":fal`)},
		{"empty body", ok(``)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCannedServer(t, tt.resp)
			c, sl := newClient(srv.URL, peoplehr.WithMaxAttempts(3), peoplehr.WithBackoff(100*time.Millisecond, 250*time.Millisecond))
			_, n, err := fetchAll(t, c)
			if !errors.Is(err, peoplehr.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			var perr *peoplehr.Error
			if !errors.As(err, &perr) || perr.Attempts != 3 {
				t.Errorf("err = %#v, want 3 attempts", err)
			}
			if n != 0 || srv.requests.Load() != 3 {
				t.Errorf("n=%d requests=%d", n, srv.requests.Load())
			}
			if !strings.Contains(err.Error(), "after 3 attempts") {
				t.Errorf("err %q does not say how many attempts", err)
			}
			// Full jitter: each wait is below a ceiling that doubles up to the cap.
			waits := sl.all()
			ceilings := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}
			if len(waits) != len(ceilings) {
				t.Fatalf("waits = %v", waits)
			}
			for i, w := range waits {
				if w < 0 || w >= ceilings[i] {
					t.Errorf("wait %d = %v, want in [0, %v)", i, w, ceilings[i])
				}
			}
		})
	}
}

func TestBackoffCeilingAndRetryAfterCap(t *testing.T) {
	longAsk := response{code: http.StatusServiceUnavailable, header: map[string]string{"Retry-After": "30"}}
	unavailable := response{code: http.StatusServiceUnavailable, header: map[string]string{"Retry-After": "2"}}
	srv := newCannedServer(t, longAsk, unavailable, response{code: http.StatusInternalServerError}, response{code: http.StatusInternalServerError},
		response{code: http.StatusInternalServerError}, ok(twoRecords))
	c, sl := newClient(srv.URL, peoplehr.WithMaxAttempts(6), peoplehr.WithBackoff(time.Second, 5*time.Second))
	if _, n, err := fetchAll(t, c); err != nil || n != 2 {
		t.Fatalf("FetchAll = %d, %v", n, err)
	}
	waits := sl.all()
	if len(waits) != 5 {
		t.Fatalf("waits = %v", waits)
	}
	if waits[0] != 5*time.Second {
		t.Errorf("Retry-After 30 capped: wait %v, want 5s", waits[0])
	}
	if waits[1] != 2*time.Second {
		t.Errorf("Retry-After 2 on 503: wait %v, want 2s", waits[1])
	}
	for i, ceiling := range []time.Duration{4 * time.Second, 5 * time.Second, 5 * time.Second} {
		if w := waits[2+i]; w >= ceiling {
			t.Errorf("wait after attempt %d = %v, want below %v", 3+i, w, ceiling)
		}
	}
}

func TestFetchAllRecordFuncError(t *testing.T) {
	srv := newCannedServer(t, ok(twoRecords))
	c, _ := newClient(srv.URL)
	stop := errors.New("disk full")
	calls := 0
	_, err := c.FetchAll(context.Background(), testKey, func() func(map[string]string) error {
		return func(map[string]string) error {
			calls++
			return stop
		}
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the record func's error", err)
	}
	if !strings.Contains(err.Error(), "record 1") {
		t.Errorf("err %q does not say which record", err)
	}
	if calls != 1 || srv.requests.Load() != 1 {
		t.Errorf("calls=%d requests=%d, want 1 and 1", calls, srv.requests.Load())
	}
}

func TestFetchAllContextCancel(t *testing.T) {
	t.Run("while waiting for an answer", func(t *testing.T) {
		sb := peoplehrtest.New(peoplehrtest.Options{APIKey: testKey})
		t.Cleanup(sb.Close)
		sb.InjectFault(peoplehrtest.Fault{Kind: peoplehrtest.FaultTimeout})
		c, sl := newClient(sb.URL())
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err := c.CountEmployees(ctx, testKey)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, peoplehr.ErrUnavailable) {
			t.Errorf("err = %v, want the context's error only", err)
		}
		if time.Since(began) > time.Second || len(sl.all()) != 0 || sb.Requests() != 1 {
			t.Errorf("took %v, waits %v, requests %d", time.Since(began), sl.all(), sb.Requests())
		}
	})
	t.Run("while backing off", func(t *testing.T) {
		srv := newCannedServer(t, response{code: http.StatusServiceUnavailable})
		// The real sleep, with waits long enough that only cancelling ends them.
		c := peoplehr.New(srv.URL, peoplehr.WithBackoff(time.Minute, time.Minute))
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		began := time.Now()
		_, err := c.CountEmployees(ctx, testKey)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(began); d > time.Second {
			t.Errorf("took %v", d)
		}
	})
}

func TestFetchAllAttemptTimeout(t *testing.T) {
	t.Run("no answer at all", func(t *testing.T) {
		sb := peoplehrtest.New(peoplehrtest.Options{APIKey: testKey})
		t.Cleanup(sb.Close)
		sb.InjectFault(peoplehrtest.Fault{Kind: peoplehrtest.FaultTimeout, Times: 10})
		c, sl := newClient(sb.URL(), peoplehr.WithAttemptTimeout(50*time.Millisecond), peoplehr.WithMaxAttempts(3))
		began := time.Now()
		_, err := c.CountEmployees(context.Background(), testKey)
		if !errors.Is(err, peoplehr.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrUnavailable from a deadline", err)
		}
		if !strings.Contains(err.Error(), "within 50ms") {
			t.Errorf("err %q does not name the timeout", err)
		}
		if sb.Requests() != 3 || len(sl.all()) != 2 || time.Since(began) > time.Second {
			t.Errorf("requests=%d waits=%v took=%v", sb.Requests(), sl.all(), time.Since(began))
		}
	})
	t.Run("stream too slow, then fine", func(t *testing.T) {
		sb := peoplehrtest.New(peoplehrtest.Options{Employees: peoplehrtest.Generate(10, 3, today), APIKey: testKey})
		t.Cleanup(sb.Close)
		sb.InjectFault(peoplehrtest.Fault{Kind: peoplehrtest.FaultSlowStream, Delay: 30 * time.Millisecond})
		c, _ := newClient(sb.URL(), peoplehr.WithAttemptTimeout(100*time.Millisecond))
		f, n, err := fetchAll(t, c)
		if err != nil || n != 10 || len(f.records) != 10 || f.starts != 2 {
			t.Errorf("n=%d records=%d starts=%d err=%v", n, len(f.records), f.starts, err)
		}
	})
}

// The sandbox serves every shape the wire format uses; the client must
// read all of it and none of BankDetail.
func TestFetchAllAgainstSandbox(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacy history keys %v", legacy), func(t *testing.T) {
			employees := append(peoplehrtest.DemoEmployees(), peoplehrtest.Generate(500, 7, today)...)
			sb := peoplehrtest.New(peoplehrtest.Options{Employees: employees, APIKey: testKey, LegacyHistoryKeys: legacy})
			t.Cleanup(sb.Close)
			c, _ := newClient(sb.URL() + "/") // a trailing slash must not matter
			f, n, err := fetchAll(t, c)
			if err != nil {
				t.Fatalf("FetchAll: %v", err)
			}
			if n != len(employees) {
				t.Fatalf("n = %d, want %d (leavers included)", n, len(employees))
			}
			bank := make(map[string]bool)
			for i, e := range employees {
				bank[e.BankDetail.AccountNumber], bank[e.BankDetail.SortCode], bank[e.BankDetail.AccountName] = true, true, true
				rec := f.records[i]
				want := map[string]string{
					"EmployeeId": e.EmployeeID, "FirstName": e.FirstName, "EmailId": e.EmailID,
					"JobRole": e.JobRole, "Department": e.Department, "EmployeeStatus": e.EmployeeStatus,
					"LeavingDate": e.LeavingDate, "APIColumn1": e.APIColumn1, "HolidayAllowanceDays": "25.00",
					"ContactDetail.Mobile":            e.ContactDetail.Mobile,
					"ContactDetail.PersonalEmail":     e.ContactDetail.PersonalEmail,
					"EmploymentDetail.PayrollID":      e.EmploymentDetail.PayrollID,
					"EmploymentDetail.BenefitsID":     e.EmploymentDetail.BenefitsID,
					"ReportsToEmployeeId":             e.ReportsToEmployeeID,
					"EmploymentDetail.PayrollCompany": e.EmploymentDetail.PayrollCompany,
				}
				for k, v := range want {
					if got, ok := rec[k]; !ok || got != v {
						t.Fatalf("record %d %s = %q (present %v), want %q", i, k, got, ok, v)
					}
				}
				for _, k := range []string{"OtherContact", "RightToWork", "BackgroundDetail"} {
					if _, ok := rec[k]; ok {
						t.Errorf("record %d carries the %s array", i, k)
					}
				}
			}
			for i, rec := range f.records {
				for k, v := range rec {
					if bank[v] {
						t.Fatalf("record %d %s = %q is a bank value", i, k, v)
					}
				}
			}
			assertNoBank(t, f.records)
		})
	}
}

// A complete page that is not JSON, such as a maintenance page, would come
// back the same on a retry: the call fails at once and says what came,
// never quoting it.
func TestFetchAllNotJSONIsNotRetried(t *testing.T) {
	sb := peoplehrtest.New(peoplehrtest.Options{Employees: peoplehrtest.Generate(5, 1, today), APIKey: testKey})
	t.Cleanup(sb.Close)
	sb.InjectFault(peoplehrtest.Fault{Kind: peoplehrtest.FaultNotJSON, Times: 3})
	c, sl := newClient(sb.URL())
	f, n, err := fetchAll(t, c)
	var perr *peoplehr.Error
	if !errors.As(err, &perr) {
		t.Fatalf("err = %v, want *peoplehr.Error", err)
	}
	if sb.Requests() != 1 || perr.Attempts != 1 || f.starts != 1 || n != 0 || len(sl.all()) != 0 {
		t.Errorf("requests=%d attempts=%d starts=%d n=%d waits=%v, want one request and no wait",
			sb.Requests(), perr.Attempts, f.starts, n, sl.all())
	}
	for _, sentinel := range sentinels {
		if errors.Is(err, sentinel) != (sentinel == peoplehr.ErrMalformed) {
			t.Errorf("errors.Is(%v, %v) = %v", err, sentinel, errors.Is(err, sentinel))
		}
	}
	const want = "peoplehr: PeopleHR sent a malformed response: the body is not JSON (Content-Type text/html)"
	if err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

// Some servers start a UTF-8 body with a byte-order mark; the answer
// after it is a good one and is read in the one request.
func TestFetchAllAcceptsByteOrderMark(t *testing.T) {
	employees := peoplehrtest.Generate(300, 2, today)
	sb := peoplehrtest.New(peoplehrtest.Options{Employees: employees, APIKey: testKey})
	t.Cleanup(sb.Close)
	sb.InjectFault(peoplehrtest.Fault{Kind: peoplehrtest.FaultBOM})
	c, sl := newClient(sb.URL())
	f, n, err := fetchAll(t, c)
	if err != nil {
		t.Fatalf("FetchAll: %v", err)
	}
	if n != len(employees) || len(f.records) != len(employees) || f.records[0]["EmployeeId"] != employees[0].EmployeeID {
		t.Errorf("n=%d, %d records, want %d", n, len(f.records), len(employees))
	}
	if sb.Requests() != 1 || len(sl.all()) != 0 {
		t.Errorf("requests=%d waits=%v, want 1 request and no wait", sb.Requests(), sl.all())
	}
}

func TestCountEmployees(t *testing.T) {
	sb := peoplehrtest.New(peoplehrtest.Options{Employees: peoplehrtest.DemoEmployees(), APIKey: testKey})
	t.Cleanup(sb.Close)
	sb.AddKey("no-permission-key", peoplehrtest.PermissionNone)
	c, _ := newClient(sb.URL())
	ctx := context.Background()

	if n, err := c.CountEmployees(ctx, testKey); err != nil || n != len(peoplehrtest.DemoEmployees()) {
		t.Errorf("CountEmployees = %d, %v; want %d", n, err, len(peoplehrtest.DemoEmployees()))
	}
	if _, err := c.CountEmployees(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, peoplehr.ErrInvalidKey) {
		t.Errorf("unknown key: err = %v, want ErrInvalidKey", err)
	}
	if _, err := c.CountEmployees(ctx, ""); !errors.Is(err, peoplehr.ErrInvalidKey) {
		t.Errorf("missing key: err = %v, want ErrInvalidKey", err)
	}
	if _, err := c.CountEmployees(ctx, "no-permission-key"); !errors.Is(err, peoplehr.ErrMissingPermission) {
		t.Errorf("key without permission: err = %v, want ErrMissingPermission", err)
	}
	sb.SetEmployees(nil)
	if n, err := c.CountEmployees(ctx, testKey); err != nil || n != 0 {
		t.Errorf("empty directory: CountEmployees = %d, %v; want 0, nil", n, err)
	}
	if got := sb.Requests(); got != 5 {
		t.Errorf("requests = %d, want 5 (no retries)", got)
	}
}

func TestRequestShape(t *testing.T) {
	var got struct {
		path, method, contentType string
		body                      map[string]any
	}
	srv := newCannedServer(t, response{handler: func(w http.ResponseWriter, r *http.Request) {
		got.path, got.method, got.contentType = r.URL.Path, r.Method, r.Header.Get("Content-Type")
		_ = json.NewDecoder(r.Body).Decode(&got.body)
		_, _ = io.WriteString(w, twoRecords)
	}})
	c, _ := newClient(srv.URL + "///")
	if _, _, err := fetchAll(t, c); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"APIKey": testKey, "Action": "GetAllEmployeeDetail", "IncludeLeavers": true}
	if got.path != "/Employee" || got.method != http.MethodPost || got.contentType != "application/json" {
		t.Errorf("request = %s %s (%s)", got.method, got.path, got.contentType)
	}
	if fmt.Sprint(got.body) != fmt.Sprint(want) {
		t.Errorf("body = %v, want %v", got.body, want)
	}
}

// The key is in every request body; it must never reach an error or a log
// line, even when a server echoes it back.
func TestKeyNeverLoggedNorInErrors(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	echo := ok(envelope(2, "Invalid Api key: "+testKey))
	srv := newCannedServer(t,
		response{code: http.StatusServiceUnavailable, body: "request was " + testKey},
		ok(`{"isError":false,"Status":0,"Result":[{"EmployeeId":"`),
		ok(envelope(6, "Oops! "+testKey)),
		echo)
	c, _ := newClient(srv.URL, peoplehr.WithLogger(logger))
	_, _, err := fetchAll(t, c)
	if !errors.Is(err, peoplehr.ErrInvalidKey) {
		t.Fatalf("err = %v, want ErrInvalidKey", err)
	}
	if strings.Contains(err.Error(), testKey) || strings.Contains(fmt.Sprintf("%+v", err), testKey) {
		t.Errorf("error carries the key: %v", err)
	}
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error %q lost the redacted message", err)
	}
	if logs.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	if strings.Contains(logs.String(), testKey) {
		t.Errorf("log carries the key:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"attempt":4`) {
		t.Errorf("log lacks attempt numbers:\n%s", logs.String())
	}
}

// The decoder must hand records over while the body is still arriving: the
// server writes half the directory, then waits for the client to have seen
// the first record before writing the rest. A client that buffered the
// whole body would never get there.
func TestFetchAllStreams(t *testing.T) {
	const total = 20000
	firstSeen := make(chan struct{})
	srv := newCannedServer(t, response{handler: func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_, _ = io.WriteString(w, `{"isError":false,"Status":0,"Message":"ok","Result":[`)
		for i := range total {
			if i == total/2 {
				_ = rc.Flush()
				select {
				case <-firstSeen:
				case <-time.After(1500 * time.Millisecond):
					t.Error("the client saw no record before the body was complete")
					return
				case <-r.Context().Done():
					return
				}
			}
			if i > 0 {
				_, _ = io.WriteString(w, ",")
			}
			fmt.Fprintf(w, `{"EmployeeId":{"DisplayValue":"PW%05d","FieldHistory":[]},"FirstName":{"DisplayValue":"Name %d","FieldHistory":[]},"BankDetail":%s}`, i, i, bankJSON)
		}
		_, _ = io.WriteString(w, "]}")
	}})
	c, _ := newClient(srv.URL, peoplehr.WithMaxAttempts(1))
	seen := 0
	n, err := c.FetchAll(context.Background(), testKey, func() func(map[string]string) error {
		return func(rec map[string]string) error {
			if seen == 0 {
				close(firstSeen)
			}
			if want := fmt.Sprintf("PW%05d", seen); rec["EmployeeId"] != want {
				return fmt.Errorf("got %q, want %q", rec["EmployeeId"], want)
			}
			if len(rec) != 2 {
				return fmt.Errorf("record %v has unexpected keys", rec)
			}
			seen++
			return nil
		}
	})
	if err != nil || n != total || seen != total {
		t.Fatalf("FetchAll = %d, %v; seen %d, want %d", n, err, seen, total)
	}
}

// TestRedirectsAreNeverFollowed: a base URL answering with a redirect to
// another host (a catcher) must not hand it the request, whose body holds
// the key. 307 and 308 are the ones Go would follow with the body; every
// 3xx is one non-retried error, and the catcher receives nothing.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			catcher := newCannedServer(t, ok(twoRecords))
			srv := newCannedServer(t, response{code: code, header: map[string]string{"Location": catcher.URL + "/Employee"}})
			// The caller's own client follows redirects; the option must not.
			c, sl := newClient(srv.URL, peoplehr.WithHTTPClient(&http.Client{}))
			_, n, err := fetchAll(t, c)
			if got := catcher.requests.Load(); got != 0 {
				t.Fatalf("the redirect target received %d requests", got)
			}
			var perr *peoplehr.Error
			if !errors.As(err, &perr) || n != 0 {
				t.Fatalf("n=%d err=%v, want a *peoplehr.Error", n, err)
			}
			if perr.HTTPStatus != code || srv.requests.Load() != 1 || len(sl.all()) != 0 {
				t.Errorf("http status %d, %d requests, sleeps %v: want %d, one request, no retry", perr.HTTPStatus, srv.requests.Load(), sl.all(), code)
			}
			for _, sentinel := range sentinels {
				if errors.Is(err, sentinel) {
					t.Errorf("a redirect matches %v", sentinel)
				}
			}
			if msg := err.Error(); !strings.Contains(msg, "redirect") || strings.Contains(msg, catcher.URL) {
				t.Errorf("err %q: want it to say redirect and not name the target", msg)
			}
		})
	}
}
