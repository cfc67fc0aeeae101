package peoplehr_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

// FetchEmployee against the sandbox: one record flattened as FetchAll
// flattens it, and the failures a re-read after a notification meets.
func TestFetchEmployeeAgainstSandbox(t *testing.T) {
	employees := peoplehrtest.Generate(10, 4, today)
	target := employees[3]
	tests := []struct {
		name     string
		id       string
		faults   []peoplehrtest.Fault
		want     error // sentinel, or nil for success
		requests int
		waits    int
	}{
		{"found", target.EmployeeID, nil, nil, 1, 0},
		{"not found", "PW99999", nil, peoplehr.ErrEmployeeNotFound, 1, 0},
		{"rate limited then OK", target.EmployeeID, []peoplehrtest.Fault{{Kind: peoplehrtest.FaultRateLimited}}, nil, 2, 1},
		{"HTTP 429 then OK", target.EmployeeID, []peoplehrtest.Fault{{Kind: peoplehrtest.FaultThrottle}}, nil, 2, 1},
		{"HTTP 503 then OK", target.EmployeeID, []peoplehrtest.Fault{{Kind: peoplehrtest.FaultHTTP5xx, Times: 2}}, nil, 3, 2},
		{"connection reset then OK", target.EmployeeID, []peoplehrtest.Fault{{Kind: peoplehrtest.FaultReset}}, nil, 2, 1},
		{"byte-order mark", target.EmployeeID, []peoplehrtest.Fault{{Kind: peoplehrtest.FaultBOM}}, nil, 1, 0},
		{"malformed", target.EmployeeID, []peoplehrtest.Fault{{Kind: peoplehrtest.FaultNotJSON, Times: 3}}, peoplehr.ErrMalformed, 1, 0},
		{"unavailable", target.EmployeeID, []peoplehrtest.Fault{{Kind: peoplehrtest.FaultInBandError, Times: 9}}, peoplehr.ErrUnavailable, 4, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := peoplehrtest.New(peoplehrtest.Options{Employees: employees, APIKey: testKey})
			t.Cleanup(sb.Close)
			for _, f := range tt.faults {
				sb.InjectFault(f)
			}
			c, sl := newClient(sb.URL())
			rec, err := c.FetchEmployee(context.Background(), testKey, tt.id)
			for _, sentinel := range sentinels {
				if got := errors.Is(err, sentinel); got != (sentinel == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, sentinel, got)
				}
			}
			if sb.Requests() != tt.requests || len(sl.all()) != tt.waits {
				t.Errorf("requests=%d waits=%v, want %d requests and %d waits", sb.Requests(), sl.all(), tt.requests, tt.waits)
			}
			if tt.want != nil {
				var perr *peoplehr.Error
				if rec != nil || !errors.As(err, &perr) || !strings.Contains(err.Error(), tt.id) {
					t.Errorf("rec=%v err=%v, want no record and an *Error naming %s", rec, err, tt.id)
				}
				return
			}
			if err != nil {
				t.Fatalf("FetchEmployee: %v", err)
			}
			want := map[string]string{
				"EmployeeId": target.EmployeeID, "FirstName": target.FirstName, "EmailId": target.EmailID,
				"EmployeeStatus": target.EmployeeStatus, "LeavingDate": target.LeavingDate,
				"ContactDetail.Mobile":        target.ContactDetail.Mobile,
				"EmploymentDetail.BenefitsID": target.EmploymentDetail.BenefitsID,
			}
			for k, v := range want {
				if got, ok := rec[k]; !ok || got != v {
					t.Errorf("%s = %q (present %v), want %q", k, got, ok, v)
				}
			}
			if _, ok := rec["NISNumber"]; ok {
				t.Errorf("the withheld NISNumber was returned: %v", rec)
			}
			assertNoBank(t, []map[string]string{rec}, target.BankDetail.AccountNumber, target.BankDetail.SortCode, target.BankDetail.AccountName)
		})
	}
}

// The shapes PeopleHR's actions use for "no such record", and answers
// that are not the one employee asked for.
func TestFetchEmployeeAnswers(t *testing.T) {
	const one = `{"EmployeeId":{"DisplayValue":"PW1","FieldHistory":[]},"FirstName":{"DisplayValue":"Ann"},"NISNumber":{"DisplayValue":"QQ123456C"},"BankDetail":{"SortCode":{"DisplayValue":"12-34-56"}}}`
	success := func(result string) response {
		return ok(`{"isError":false,"Status":0,"Message":"The request processed successfully.","Result":` + result + `}`)
	}
	tests := []struct {
		name string
		resp response
		want error // sentinel; nil with wantErr false for success
		// wantErr is set for a failure matching no sentinel.
		wantErr bool
	}{
		{"single object", success(one), nil, false},
		{"array of one", success("[" + one + "]"), nil, false},
		{"lower-case ID", success(strings.Replace(one, "PW1", "pw1", 1)), nil, false},
		{"Status 5 EmployeeId does not exists", ok(envelope(5, "EmployeeId does not exists.")), peoplehr.ErrEmployeeNotFound, true},
		{"Status 10", ok(envelope(10, "No records found.")), peoplehr.ErrEmployeeNotFound, true},
		{"empty Result object", success(`{}`), peoplehr.ErrEmployeeNotFound, true},
		{"null Result", success(`null`), peoplehr.ErrEmployeeNotFound, true},
		{"no Result", ok(`{"isError":false,"Status":0,"Message":"No Record Found."}`), peoplehr.ErrEmployeeNotFound, true},
		{"empty Result array", success(`[]`), peoplehr.ErrEmployeeNotFound, true},
		{"invalid ID is not a deletion", ok(envelope(5, "EmployeeId contains invalid data.")), nil, true},
		{"unknown key is not a deletion", ok(envelope(5, "API key does not exists.")), peoplehr.ErrInvalidKey, true},
		{"another employee", success(strings.Replace(one, "PW1", "PW2", 1)), peoplehr.ErrMalformed, true},
		{"two records", success("[" + one + "," + one + "]"), peoplehr.ErrMalformed, true},
		{"Result a string", success(`"PW1"`), peoplehr.ErrMalformed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCannedServer(t, tt.resp)
			c, _ := newClient(srv.URL)
			rec, err := c.FetchEmployee(context.Background(), testKey, "PW1")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			for _, sentinel := range sentinels {
				if got := errors.Is(err, sentinel); got != (sentinel == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, sentinel, got)
				}
			}
			if srv.requests.Load() != 1 {
				t.Errorf("requests = %d, want 1", srv.requests.Load())
			}
			if tt.wantErr {
				return
			}
			if rec["FirstName"] != "Ann" || len(rec) != 2 {
				t.Errorf("record = %v, want EmployeeId and FirstName only", rec)
			}
		})
	}
}

// IDs PeopleHR cannot hold are refused without spending a call.
func TestFetchEmployeeRefusesImpossibleIDs(t *testing.T) {
	for _, id := range []string{"", "PW1234567890ABCD"} {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			srv := newCannedServer(t, ok(envelope(0, "")))
			c, _ := newClient(srv.URL)
			_, err := c.FetchEmployee(context.Background(), testKey, id)
			if err == nil || errors.Is(err, peoplehr.ErrEmployeeNotFound) || srv.requests.Load() != 0 {
				t.Errorf("err=%v requests=%d, want a plain error and no request", err, srv.requests.Load())
			}
		})
	}
}

func TestFetchEmployeeRequestShape(t *testing.T) {
	var body map[string]any
	srv := newCannedServer(t, response{handler: func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&body)
		_, _ = io.WriteString(w, envelope(5, "EmployeeId does not exists."))
	}})
	c, _ := newClient(srv.URL)
	if _, err := c.FetchEmployee(context.Background(), testKey, "PW180"); !errors.Is(err, peoplehr.ErrEmployeeNotFound) {
		t.Fatalf("err = %v, want ErrEmployeeNotFound", err)
	}
	want := map[string]any{"APIKey": testKey, "Action": "GetEmployeeDetailById", "EmployeeId": "PW180"}
	if fmt.Sprint(body) != fmt.Sprint(want) {
		t.Errorf("body = %v, want %v", body, want)
	}
}

// A throttle that would outlast the caller's deadline fails at once with
// ErrRateLimited, as FetchAll does.
func TestFetchEmployeeRateLimitBeforeDeadline(t *testing.T) {
	srv := newCannedServer(t, ok(envelope(5, "API calls will be limited to 30 per minute")))
	c, sl := newClient(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.FetchEmployee(ctx, testKey, "PW1")
	if !errors.Is(err, peoplehr.ErrRateLimited) || len(sl.all()) != 0 || srv.requests.Load() != 1 {
		t.Errorf("err=%v waits=%v requests=%d, want ErrRateLimited at once", err, sl.all(), srv.requests.Load())
	}
}
