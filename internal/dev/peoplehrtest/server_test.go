package peoplehrtest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
)

var today = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// call posts body to /Employee and returns the response with its body read;
// readErr is the error that cut the body short, if any.
func call(t *testing.T, s *peoplehrtest.Server, body string) (resp *http.Response, data []byte, readErr error) {
	t.Helper()
	resp, err := http.Post(s.URL()+"/Employee", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	data, readErr = io.ReadAll(resp.Body)
	return resp, data, readErr
}

func getAll(key string, includeLeavers any) string {
	b, _ := json.Marshal(map[string]any{"APIKey": key, "Action": "GetAllEmployeeDetail", "IncludeLeavers": includeLeavers})
	return string(b)
}

type answer struct {
	IsError bool            `json:"isError"`
	Status  int             `json:"Status"`
	Message string          `json:"Message"`
	Result  json.RawMessage `json:"Result"`
}

func decodeAnswer(t *testing.T, data []byte) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatalf("answer %q: %v", data, err)
	}
	return a
}

func newServer(t *testing.T, opts peoplehrtest.Options) *peoplehrtest.Server {
	t.Helper()
	s := peoplehrtest.New(opts)
	t.Cleanup(s.Close)
	return s
}

func sample() peoplehrtest.Employee {
	return peoplehrtest.Employee{
		EmployeeID: "PW0042", Title: "Ms", FirstName: "Zoë", LastName: "O'Brien", EmailID: "zoe.obrien@example.com",
		StartDate: "2020-01-06", JobRole: "Engineer <Lead> & Co", Company: "Northwind Ltd", Location: "Leeds",
		Department: "R&D", ReportsTo: "Amelia Smith", ReportsToEmployeeID: "PW0001", EmploymentType: "Full Time",
		EmployeeStatus: peoplehrtest.ActiveStatus, APIColumn1: "31/01/2024",
		ContactDetail:    peoplehrtest.ContactDetail{Mobile: "07700 900123", PersonalEmail: "zoe@mail.example"},
		EmploymentDetail: peoplehrtest.EmploymentDetail{PayrollID: "PAY000042"},
		BankDetail:       peoplehrtest.BankDetail{AccountName: "MS Z OBRIEN", AccountNumber: "12345678", SortCode: "11-22-33"},
	}
}

func TestWireFormat(t *testing.T) {
	tests := []struct {
		legacy   bool
		wantHist map[string]string // field -> history key expected
	}{
		{false, map[string]string{
			"EmployeeId": "FieldHistory", "FirstName": "FieldHistory", "EmailId": "FieldHistory",
			"JobRole": "FieldHistoryForJobRole", "Company": "FieldHistoryForEffectiveDate",
			"Location": "FieldHistoryForEffectiveDate", "Department": "FieldHistoryForEffectiveDate",
			"ReportsTo": "FieldHistoryForEffectiveDate", "EmploymentType": "FieldHistoryForEffectiveDate",
		}},
		{true, map[string]string{
			"EmployeeId": "FieldHistory", "JobRole": "FieldHistory", "Company": "FieldHistory",
			"Location": "FieldHistory", "Department": "FieldHistory", "ReportsTo": "FieldHistory",
			"EmploymentType": "FieldHistory",
		}},
	}
	for _, tt := range tests {
		s := newServer(t, peoplehrtest.Options{Employees: []peoplehrtest.Employee{sample()}, LegacyHistoryKeys: tt.legacy})
		resp, data, err := call(t, s, getAll(peoplehrtest.DefaultAPIKey, true))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("legacy=%v: HTTP %d, %v", tt.legacy, resp.StatusCode, err)
		}
		a := decodeAnswer(t, data)
		if a.IsError || a.Status != 0 {
			t.Fatalf("answer %+v", a)
		}
		var recs []map[string]any
		if err := json.Unmarshal(a.Result, &recs); err != nil || len(recs) != 1 {
			t.Fatalf("Result %s: %v", a.Result, err)
		}
		rec := recs[0]

		for field, hist := range tt.wantHist {
			w, ok := rec[field].(map[string]any)
			if !ok || len(w) != 2 || w[hist] == nil || reflect.ValueOf(w[hist]).Len() != 0 {
				t.Errorf("legacy=%v: %s = %v, want DisplayValue and empty %s", tt.legacy, field, rec[field], hist)
			}
		}
		for field, want := range map[string]string{"EmployeeId": "PW0042", "FirstName": "Zoë", "JobRole": "Engineer <Lead> & Co", "EmployeeStatus": "1", "HolidayAllowanceDays": "25.00", "ReportsToEmployeeId": "PW0001", "OtherName": ""} {
			if got := rec[field].(map[string]any)["DisplayValue"]; got != want {
				t.Errorf("%s DisplayValue = %v, want %q", field, got, want)
			}
		}
		for field, want := range map[string]string{"LeavingDate": "", "ReasonForLeaving": "", "EmployeeImage": "", "APIColumn1": "31/01/2024", "APIColumn5": ""} {
			if got := rec[field]; got != want {
				t.Errorf("%s = %#v, want plain %q", field, got, want)
			}
		}
		for _, field := range []string{"OtherContact", "RightToWork", "BackgroundDetail"} {
			if got, ok := rec[field].([]any); !ok || len(got) != 0 {
				t.Errorf("%s = %#v, want []", field, rec[field])
			}
		}
		nested := func(obj, field string) any {
			return rec[obj].(map[string]any)[field].(map[string]any)["DisplayValue"]
		}
		if nested("ContactDetail", "Mobile") != "07700 900123" || nested("EmploymentDetail", "PayrollID") != "PAY000042" {
			t.Errorf("nested objects: %v %v", rec["ContactDetail"], rec["EmploymentDetail"])
		}
		if nested("BankDetail", "AccountNumber") != "12345678" || nested("BankDetail", "SortCode") != "11-22-33" {
			t.Errorf("BankDetail must be on the wire: %v", rec["BankDetail"])
		}
		if bytes.Contains(data, []byte("null")) {
			t.Errorf("empty values must be \"\", not null: %s", data)
		}
	}
}

func TestKeysActionsAndStatuses(t *testing.T) {
	s := newServer(t, peoplehrtest.Options{Employees: []peoplehrtest.Employee{sample()}, APIKey: "good"})
	s.AddKey("readonly-salary", peoplehrtest.PermissionNone)
	tests := []struct {
		name, body  string
		wantStatus  int
		wantMessage string
		wantResult  string // compact JSON, "" to skip
	}{
		{"missing key", `{"Action":"GetAllEmployeeDetail"}`, 1, "APIKey is missing.", "null"},
		{"unknown key", getAll("nope", true), 5, "API key does not exists.", "null"},
		{"key in braces is unknown", getAll("{good}", true), 5, "API key does not exists.", "null"},
		{"key with spaces is unknown", getAll(" good ", true), 5, "API key does not exists.", "null"},
		{"no permission", getAll("readonly-salary", true), 5, "No access on employee schema.", "null"},
		{"bad JSON", `{"APIKey":`, 9, "Invalid JSON.", ""},
		{"missing action", `{"APIKey":"good"}`, 3, "Action is missing.", ""},
		{"unknown action", `{"APIKey":"good","Action":"DeleteEverything"}`, 4, "Invalid action.", ""},
		{"bad IncludeLeavers", `{"APIKey":"good","Action":"GetAllEmployeeDetail","IncludeLeavers":"perhaps"}`, 9, "Invalid JSON.", ""},
		{"by id", `{"APIKey":"good","Action":"GetEmployeeDetailById","EmployeeId":"PW0042"}`, 0, "The request processed successfully.", ""},
		{"by unknown id", `{"APIKey":"good","Action":"GetEmployeeDetailById","EmployeeId":"PW9"}`, 5, "EmployeeId does not exists.", ""},
		{"all", getAll("good", "true"), 0, "The request processed successfully.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, data, err := call(t, s, tt.body)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("HTTP %d, %v: in-band errors come with 200", resp.StatusCode, err)
			}
			a := decodeAnswer(t, data)
			if a.Status != tt.wantStatus || a.Message != tt.wantMessage || a.IsError != (tt.wantStatus != 0) {
				t.Errorf("answer = %+v, want status %d %q", a, tt.wantStatus, tt.wantMessage)
			}
			if tt.wantResult != "" && string(a.Result) != tt.wantResult {
				t.Errorf("Result = %s, want %s", a.Result, tt.wantResult)
			}
		})
	}

	t.Run("by id is a single object", func(t *testing.T) {
		_, data, _ := call(t, s, `{"APIKey":"good","Action":"GetEmployeeDetailById","EmployeeId":"PW0042"}`)
		var rec struct {
			EmployeeID struct{ DisplayValue string } `json:"EmployeeId"`
		}
		if err := json.Unmarshal(decodeAnswer(t, data).Result, &rec); err != nil || rec.EmployeeID.DisplayValue != "PW0042" {
			t.Errorf("Result %s: %v", data, err)
		}
	})
	t.Run("empty directory is Status 10 with an empty list", func(t *testing.T) {
		empty := newServer(t, peoplehrtest.Options{})
		_, data, _ := call(t, empty, getAll(peoplehrtest.DefaultAPIKey, true))
		if a := decodeAnswer(t, data); a.Status != 10 || a.Message != "No records found." || string(a.Result) != "[]" {
			t.Errorf("answer = %+v (Result %s)", a, a.Result)
		}
	})
	t.Run("wrong path and method", func(t *testing.T) {
		resp, err := http.Get(s.URL() + "/Employee")
		if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET: %v %v", resp.Status, err)
		}
		resp.Body.Close()
		resp, err = http.Post(s.URL()+"/Salary", "application/json", strings.NewReader(`{}`))
		if err != nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST /Salary: %v %v", resp.Status, err)
		}
		resp.Body.Close()
	})
}

func employeeIDs(t *testing.T, data []byte) []string {
	t.Helper()
	var recs []struct {
		EmployeeID struct{ DisplayValue string } `json:"EmployeeId"`
	}
	if err := json.Unmarshal(decodeAnswer(t, data).Result, &recs); err != nil {
		t.Fatalf("Result: %v", err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.EmployeeID.DisplayValue
	}
	return ids
}

func TestIncludeLeavers(t *testing.T) {
	active, leaver, future := sample(), sample(), sample()
	active.EmployeeID = "A"
	leaver.EmployeeID, leaver.LeavingDate, leaver.EmployeeStatus = "L", "2024-01-31", "Left"
	future.EmployeeID, future.LeavingDate = "F", "2030-12-31"
	s := newServer(t, peoplehrtest.Options{Employees: []peoplehrtest.Employee{active, leaver, future}})
	tests := []struct {
		include any
		want    []string
	}{
		{true, []string{"A", "L", "F"}},
		{"true", []string{"A", "L", "F"}},
		{false, []string{"A", "F"}},
		{"False", []string{"A", "F"}},
		{nil, []string{"A", "F"}},
	}
	for _, tt := range tests {
		_, data, _ := call(t, s, getAll(peoplehrtest.DefaultAPIKey, tt.include))
		if got := employeeIDs(t, data); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("IncludeLeavers %#v: got %v, want %v", tt.include, got, tt.want)
		}
	}

	s.SetEmployees([]peoplehrtest.Employee{leaver})
	_, data, _ := call(t, s, getAll(peoplehrtest.DefaultAPIKey, false))
	if a := decodeAnswer(t, data); a.Status != 10 {
		t.Errorf("only leavers, IncludeLeavers false: status %d, want 10", a.Status)
	}
}

func TestFaults(t *testing.T) {
	employees := peoplehrtest.Generate(20, 5, today)
	key := peoplehrtest.DefaultAPIKey
	tests := []struct {
		name  string
		fault peoplehrtest.Fault
		check func(t *testing.T, resp *http.Response, data []byte, readErr error, took time.Duration)
	}{
		{"HTTP 5xx", peoplehrtest.Fault{Kind: peoplehrtest.FaultHTTP5xx}, func(t *testing.T, resp *http.Response, data []byte, _ error, _ time.Duration) {
			if resp.StatusCode != http.StatusServiceUnavailable || !bytes.Contains(data, []byte("<html>")) {
				t.Errorf("got %d %s", resp.StatusCode, data)
			}
		}},
		{"throttle", peoplehrtest.Fault{Kind: peoplehrtest.FaultThrottle}, func(t *testing.T, resp *http.Response, _ []byte, _ error, _ time.Duration) {
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
				t.Errorf("got %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		}},
		{"in-band error", peoplehrtest.Fault{Kind: peoplehrtest.FaultInBandError}, func(t *testing.T, resp *http.Response, data []byte, _ error, _ time.Duration) {
			if a := decodeAnswer(t, data); resp.StatusCode != http.StatusOK || a.Status != 6 || a.Message != "Oops! Something went wrong." || !a.IsError {
				t.Errorf("got %d %+v", resp.StatusCode, a)
			}
		}},
		{"BOM before a normal answer", peoplehrtest.Fault{Kind: peoplehrtest.FaultBOM}, func(t *testing.T, resp *http.Response, data []byte, readErr error, _ time.Duration) {
			rest, ok := bytes.CutPrefix(data, []byte("\xEF\xBB\xBF"))
			if readErr != nil || resp.StatusCode != http.StatusOK || !ok || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("got %d %q, read error %v, body starts %q", resp.StatusCode, resp.Header.Get("Content-Type"), readErr, data[:min(len(data), 8)])
			}
			if ids := employeeIDs(t, rest); len(ids) != 20 {
				t.Errorf("%d records after the BOM, want 20", len(ids))
			}
		}},
		{"not JSON", peoplehrtest.Fault{Kind: peoplehrtest.FaultNotJSON}, func(t *testing.T, resp *http.Response, data []byte, readErr error, _ time.Duration) {
			if readErr != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("got %d %q, read error %v", resp.StatusCode, resp.Header.Get("Content-Type"), readErr)
			}
			if json.Valid(data) || !bytes.HasPrefix(data, []byte("<!DOCTYPE html>")) || !bytes.HasSuffix(data, []byte("</html>\n")) {
				t.Errorf("want a whole HTML page, got %q", data)
			}
		}},
		{"in-band rate limit", peoplehrtest.Fault{Kind: peoplehrtest.FaultRateLimited}, func(t *testing.T, resp *http.Response, data []byte, _ error, _ time.Duration) {
			if a := decodeAnswer(t, data); resp.StatusCode != http.StatusOK || a.Status != 5 || a.Message != "API calls will be limited to 30 per minute" || !a.IsError {
				t.Errorf("got %d %+v", resp.StatusCode, a)
			}
		}},
		{"slow stream", peoplehrtest.Fault{Kind: peoplehrtest.FaultSlowStream, Delay: 5 * time.Millisecond}, func(t *testing.T, _ *http.Response, data []byte, readErr error, took time.Duration) {
			if readErr != nil || len(employeeIDs(t, data)) != 20 || took < 20*5*time.Millisecond {
				t.Errorf("read error %v, took %v", readErr, took)
			}
		}},
		{"truncate", peoplehrtest.Fault{Kind: peoplehrtest.FaultTruncate}, func(t *testing.T, resp *http.Response, data []byte, readErr error, _ time.Duration) {
			if resp.StatusCode != http.StatusOK || !errors.Is(readErr, io.ErrUnexpectedEOF) {
				t.Errorf("got %d, read error %v", resp.StatusCode, readErr)
			}
			if json.Valid(data) || !bytes.HasPrefix(data, []byte(`{"isError":false,"Status":0,`)) {
				t.Errorf("want a valid prefix cut short, got %q", data)
			}
			// Half the records are whole, the next one is cut mid-way.
			if n := bytes.Count(data, []byte(`"EmployeeId"`)); n != 11 || bytes.Contains(data, []byte(employees[11].EmployeeID)) {
				t.Errorf("records started: %d, want 11 (10 whole + 1 cut)", n)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, peoplehrtest.Options{Employees: employees})
			s.InjectFault(tt.fault)
			began := time.Now()
			resp, data, readErr := call(t, s, getAll(key, true))
			tt.check(t, resp, data, readErr, time.Since(began))
			// The fault is used up: the next request is answered normally.
			resp, data, readErr = call(t, s, getAll(key, true))
			if readErr != nil || resp.StatusCode != http.StatusOK || len(employeeIDs(t, data)) != 20 {
				t.Errorf("after the fault: %d, %v", resp.StatusCode, readErr)
			}
			if s.Requests() != 2 {
				t.Errorf("Requests() = %d, want 2", s.Requests())
			}
		})
	}
}

func TestConnectionFaults(t *testing.T) {
	client := &http.Client{Timeout: 200 * time.Millisecond}
	post := func(s *peoplehrtest.Server) error {
		resp, err := client.Post(s.URL()+"/Employee", "application/json", strings.NewReader(getAll(peoplehrtest.DefaultAPIKey, true)))
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		return err
	}
	tests := []struct {
		name    string
		fault   peoplehrtest.Fault
		minTook time.Duration
	}{
		{"reset", peoplehrtest.Fault{Kind: peoplehrtest.FaultReset}, 0},
		{"timeout with delay", peoplehrtest.Fault{Kind: peoplehrtest.FaultTimeout, Delay: 50 * time.Millisecond}, 50 * time.Millisecond},
		{"timeout until the client gives up", peoplehrtest.Fault{Kind: peoplehrtest.FaultTimeout}, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, peoplehrtest.Options{Employees: []peoplehrtest.Employee{sample()}})
			s.InjectFault(tt.fault)
			began := time.Now()
			if err := post(s); err == nil {
				t.Error("want a transport error")
			}
			if took := time.Since(began); took < tt.minTook || took > time.Second {
				t.Errorf("took %v, want at least %v", took, tt.minTook)
			}
			if err := post(s); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
}

func TestFaultQueue(t *testing.T) {
	s := newServer(t, peoplehrtest.Options{Employees: []peoplehrtest.Employee{sample()}})
	s.InjectFault(peoplehrtest.Fault{Kind: peoplehrtest.FaultHTTP5xx, Times: 2})
	s.InjectFault(peoplehrtest.Fault{Kind: peoplehrtest.FaultThrottle})
	var codes []int
	for range 4 {
		resp, _, _ := call(t, s, getAll(peoplehrtest.DefaultAPIKey, true))
		codes = append(codes, resp.StatusCode)
	}
	if want := []int{503, 503, 429, 200}; !reflect.DeepEqual(codes, want) {
		t.Errorf("codes = %v, want %v", codes, want)
	}
	s.InjectFault(peoplehrtest.Fault{Kind: peoplehrtest.FaultHTTP5xx, Times: 5})
	s.ClearFaults()
	if resp, _, _ := call(t, s, getAll(peoplehrtest.DefaultAPIKey, true)); resp.StatusCode != http.StatusOK {
		t.Errorf("after ClearFaults: %d", resp.StatusCode)
	}
	if s.Requests() != 5 {
		t.Errorf("Requests() = %d, want 5", s.Requests())
	}
}

func TestDirectorySetters(t *testing.T) {
	s := newServer(t, peoplehrtest.Options{})
	in := []peoplehrtest.Employee{sample()}
	s.SetEmployees(in)
	in[0].FirstName = "changed by caller"
	got := s.Employees()
	got[0].LastName = "changed by reader"
	if e := s.Employees()[0]; e.FirstName != "Zoë" || e.LastName != "O'Brien" {
		t.Errorf("the server shares its slice: %+v", e)
	}
	s.Update(func(es []peoplehrtest.Employee) []peoplehrtest.Employee {
		es[0].EmailID = "new@example.com"
		return append(es, sample())
	})
	if es := s.Employees(); len(es) != 2 || es[0].EmailID != "new@example.com" {
		t.Errorf("after Update: %+v", es)
	}

	// Updates while big answers stream must not race (run with -race).
	s.SetEmployees(peoplehrtest.Generate(500, 9, today))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			s.Update(func(es []peoplehrtest.Employee) []peoplehrtest.Employee { return es[1:] })
		}
	}()
	for range 3 {
		if _, _, err := call(t, s, getAll(peoplehrtest.DefaultAPIKey, true)); err != nil {
			t.Error(err)
		}
	}
	<-done
	if n := len(s.Employees()); n != 480 {
		t.Errorf("%d employees left, want 480", n)
	}
}
