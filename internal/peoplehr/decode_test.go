package peoplehr_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

// bankJSON is a BankDetail object whose values no record may ever carry.
const bankJSON = `{"AccountName":{"DisplayValue":"BANKNAME-SECRET","FieldHistory":[]},` +
	`"AccountNumber":{"DisplayValue":"99887766","FieldHistory":[]},"SortCode":"12-34-56"}`

var bankValues = []string{"BANKNAME-SECRET", "99887766", "12-34-56"}

// manyNames is a record with more distinct names than the decoder
// remembers, each withheld field after them, and what must be left of it.
func manyNames() (string, map[string]string) {
	var b strings.Builder
	want := map[string]string{}
	b.WriteString(`{"isError":false,"Status":0,"Result":[{`)
	for i := range 1500 {
		name := fmt.Sprintf("Field%d", i)
		fmt.Fprintf(&b, `"%s":"v",`, name)
		want[name] = "v"
	}
	b.WriteString(`"NISNumber":"QQ123456C","Salary":"1","Field0":"w"}]}`)
	want["Field0"] = "w"
	return b.String(), want
}

func TestFetchAllDecodesRecords(t *testing.T) {
	manyBody, manyWant := manyNames()
	tests := []struct {
		name string
		body string
		want []map[string]string
	}{
		{
			name: "three history keys",
			body: `{"isError":false,"Status":0,"Message":"ok","Result":[{
				"EmployeeId":{"DisplayValue":"PW1","FieldHistory":[]},
				"JobRole":{"DisplayValue":"Engineer","FieldHistoryForJobRole":[{"DisplayValue":"Old","ChangedDate":"2020-01-01"}]},
				"Department":{"FieldHistoryForEffectiveDate":[{"x":{"y":[1,2,{"z":null}]}}],"DisplayValue":"R&D"},
				"Location":{"DisplayValue":"Leeds","SomeFutureHistory":{"a":[]}}}]}`,
			want: []map[string]string{{"EmployeeId": "PW1", "JobRole": "Engineer", "Department": "R&D", "Location": "Leeds"}},
		},
		{
			name: "plain, wrapped and swapped values",
			body: `{"isError":false,"Status":0,"Result":[{
				"EmployeeId":"PW2",
				"LeavingDate":{"DisplayValue":"2024-01-31","FieldHistory":[]},
				"ReasonForLeaving":"Resignation",
				"APIColumn1":"31/01/2024","APIColumn5":"",
				"EmployeeImage":"",
				"FirstName":{"DisplayValue":"  Zoë O'Brien  ","FieldHistory":[]},
				"KnownAs":{"DisplayValue":null,"FieldHistory":[]},
				"Title":null}]}`,
			want: []map[string]string{{
				"EmployeeId": "PW2", "LeavingDate": "2024-01-31", "ReasonForLeaving": "Resignation",
				"APIColumn1": "31/01/2024", "APIColumn5": "", "EmployeeImage": "",
				"FirstName": "  Zoë O'Brien  ", "KnownAs": "", "Title": "",
			}},
		},
		{
			name: "numbers and booleans keep their text",
			body: `{"isError":false,"Status":0,"Result":[{"EmployeeId":12345678901234567890,
				"HolidayAllowanceDays":{"DisplayValue":25.50},"IsDirector":true,"OnLeave":{"DisplayValue":false},"Ratio":1e3}]}`,
			want: []map[string]string{{
				"EmployeeId": "12345678901234567890", "HolidayAllowanceDays": "25.50",
				"IsDirector": "true", "OnLeave": "false", "Ratio": "1e3",
			}},
		},
		{
			name: "unknown scalars and wrapped fields kept, unknown containers dropped",
			body: `{"isError":false,"Status":0,"Result":[{"EmployeeId":"PW3",
				"HolidayAllowanceDays":{"DisplayValue":"25.00"},"BrandNewField":"x",
				"Widget":{"Colour":"red"},"Gadgets":["a","b"],
				"OtherContact":[{"Name":{"DisplayValue":"Mum"}}],"RightToWork":[],"BackgroundDetail":[{}],
				"lstFieldHistoryJobrole":[{"DisplayValue":"Old role"}]}]}`,
			want: []map[string]string{{"EmployeeId": "PW3", "HolidayAllowanceDays": "25.00", "BrandNewField": "x"}},
		},
		{
			name: "nested objects, wrapped or plain",
			body: `{"isError":false,"Status":0,"Result":[{"EmployeeId":"PW4",
				"ContactDetail":{"Mobile":{"DisplayValue":"07700 900123","FieldHistory":[]},"PersonalEmail":"me@mail.example",
					"WorkPhoneNumber":null,"Addresses":[{"Line1":"x"}],"Deep":{"Nested":"no"}},
				"EmploymentDetail":{"PayrollID":{"DisplayValue":"PAY1"},"BenefitsID":"BEN1"},
				"BankDetail":` + bankJSON + `}]}`,
			want: []map[string]string{{
				"EmployeeId": "PW4", "ContactDetail.Mobile": "07700 900123",
				"ContactDetail.PersonalEmail": "me@mail.example", "ContactDetail.WorkPhoneNumber": "",
				"EmploymentDetail.PayrollID": "PAY1", "EmploymentDetail.BenefitsID": "BEN1",
			}},
		},
		{
			name: "BankDetail in any shape and case",
			body: `{"isError":false,"Status":0,"Result":[
				{"EmployeeId":"A","BankDetail":` + bankJSON + `},
				{"EmployeeId":"B","BankDetail":{"DisplayValue":"BANKNAME-SECRET"}},
				{"EmployeeId":"C","BankDetail":"99887766"},
				{"EmployeeId":"D","bankdetail":[` + bankJSON + `]}]}`,
			want: []map[string]string{{"EmployeeId": "A"}, {"EmployeeId": "B"}, {"EmployeeId": "C"}, {"EmployeeId": "D"}},
		},
		{
			// Each value is an NI number: none may reach a record, under
			// any name, case, nesting or shape.
			name: "national identifiers, salary and right-to-work data in any shape and case",
			body: `{"isError":false,"Status":0,"Result":[
				{"EmployeeId":"A","NISNumber":{"DisplayValue":"QQ123456C","FieldHistory":[]},"Gender":"F"},
				{"EmployeeId":"B","nisnumber":"QQ123456C","NISNUMBER":["QQ123456C"],"NiNumber":{"x":"QQ123456C"},"NI Number":null},
				{"EmployeeId":"C","ContactDetail":{"NISNumber":"QQ123456C","Mobile":"07700 900123"},
					"EmploymentDetail":{"SSN":{"DisplayValue":"QQ123456C"},"PayrollID":"PAY1"}},
				{"EmployeeId":"D","Salary":"QQ123456C","RightToWork":"QQ123456C","PassportNumber":"QQ123456C",
					"Nationality":{"DisplayValue":"QQ123456C"},"TaxCode":123456,"OtherContact":"QQ123456C"}]}`,
			want: []map[string]string{
				{"EmployeeId": "A", "Gender": "F"},
				{"EmployeeId": "B"},
				{"EmployeeId": "C", "ContactDetail.Mobile": "07700 900123", "EmploymentDetail.PayrollID": "PAY1"},
				{"EmployeeId": "D"},
			},
		},
		{
			name: "withheld after more names than the decoder remembers",
			body: manyBody,
			want: []map[string]string{manyWant},
		},
		{
			name: "Result before Status, odd envelope spellings",
			body: `{"Result":[{"EmployeeId":"PW5"},{"EmployeeId":"PW6"}],"Extra":{"a":[1]},"Message":"ok","Status":"0","IsError":"false"}`,
			want: []map[string]string{{"EmployeeId": "PW5"}, {"EmployeeId": "PW6"}},
		},
		{
			name: "upper-case isError as a string",
			body: `{"ISERROR":"False","STATUS":0,"Result":[{"EmployeeId":"PW7"}]}`,
			want: []map[string]string{{"EmployeeId": "PW7"}},
		},
		{
			name: "single object Result is one record",
			body: `{"isError":false,"Status":0,"Result":{"EmployeeId":{"DisplayValue":"PW8"}}}`,
			want: []map[string]string{{"EmployeeId": "PW8"}},
		},
		{
			name: "empty element of an array is still a record",
			body: `{"isError":false,"Status":0,"Result":[{},null,{"EmployeeId":"PW9"}]}`,
			want: []map[string]string{{}, {"EmployeeId": "PW9"}},
		},
		{name: "Result null", body: `{"isError":false,"Status":0,"Message":"ok","Result":null}`},
		{name: "Result empty object", body: `{"isError":false,"Status":0,"Result":{}}`},
		{name: "Result empty array", body: `{"isError":false,"Status":0,"Result":[]}`},
		{name: "Result missing", body: `{"isError":false,"Status":0,"Message":"No Record Found."}`},
		{name: "Status 10 no records", body: `{"isError":true,"Status":10,"Message":"No records found.","Result":[]}`},
		{name: "only isError", body: `{"isError":false}`},
		{name: "whitespace around everything", body: " \n\t{ \"Status\" : 0 , \"Result\" : [ ] } \n"},
		{
			name: "UTF-8 byte-order mark before the envelope",
			body: "\uFEFF" + `{"isError":false,"Status":0,"Result":[{"EmployeeId":"PW10"}]}`,
			want: []map[string]string{{"EmployeeId": "PW10"}},
		},
		{name: "byte-order mark then whitespace", body: "\uFEFF \r\n" + `{"isError":true,"Status":10,"Message":"No records found.","Result":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCannedServer(t, ok(tt.body))
			c, _ := newClient(srv.URL)
			f, n, err := fetchAll(t, c)
			if err != nil {
				t.Fatalf("FetchAll: %v", err)
			}
			if n != len(tt.want) || len(f.records) != len(tt.want) {
				t.Fatalf("got n=%d, %d records, want %d", n, len(f.records), len(tt.want))
			}
			for i := range tt.want {
				if !reflect.DeepEqual(f.records[i], tt.want[i]) {
					t.Errorf("record %d:\n got %v\nwant %v", i, f.records[i], tt.want[i])
				}
			}
			assertNoBank(t, f.records, bankValues...)
			if got := srv.requests.Load(); got != 1 {
				t.Errorf("requests = %d, want 1", got)
			}
		})
	}
}

// Malformed but complete answers, not JSON or not PeopleHR's envelope, are
// not retried: another attempt would get the same answer. The error says
// what was wrong without quoting the body.
func TestFetchAllRejectsMalformedAnswers(t *testing.T) {
	tests := []struct {
		name, body, wantMsg string
	}{
		{"HTML page", "<!DOCTYPE html>\n<html><body>Down for maintenance</body></html>", "the body is not JSON (Content-Type text/html)"},
		{"whitespace then HTML", "\r\n<html><body>Down for maintenance</body></html>", "the body is not JSON (Content-Type text/html)"},
		{"byte-order mark then HTML", "\uFEFF<html><body>Down for maintenance</body></html>", "the body is not JSON"},
		{"plain text", "garbage", "the body is not JSON (Content-Type text/plain)"},
		{"missing comma between records", `{"isError":false,"Status":0,"Result":[{"EmployeeId":"PW1"} {"EmployeeId":"PW2"}]}`, "invalid JSON at byte 59"},
		{"trailing comma", `{"isError":false,"Status":0,"Result":[],}`, "invalid JSON at byte 39"},
		{"bad literal", `{"isError":nope,"Status":0}`, "invalid JSON at byte 12"},
		{"single quotes", `{'Status':0}`, "invalid JSON at byte 1"},
		{"array body", `[{"EmployeeId":"PW1"}]`, "not a JSON object"},
		{"string body", `"hello"`, "not a JSON object"},
		{"no status", `{"Result":[]}`, "no Status"},
		{"scalar Result on success", `{"isError":false,"Status":0,"Result":"none"}`, "Result holds"},
		{"scalar in Result array", `{"isError":false,"Status":0,"Result":[{"EmployeeId":"PW1"},"x"]}`, "Result holds"},
		{"non-numeric status", `{"isError":false,"Status":"zero","Result":[]}`, `Status "zero"`},
		{"non-boolean isError", `{"isError":"maybe","Status":0}`, `isError "maybe"`},
		{"object status", `{"Status":{"code":0}}`, "Status is not a single value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCannedServer(t, ok(tt.body))
			c, sl := newClient(srv.URL)
			_, _, err := fetchAll(t, c)
			var perr *peoplehr.Error
			if !errors.As(err, &perr) {
				t.Fatalf("err = %v, want *peoplehr.Error", err)
			}
			for _, sentinel := range sentinels {
				if errors.Is(err, sentinel) != (sentinel == peoplehr.ErrMalformed) {
					t.Errorf("errors.Is(%v, %v) = %v", err, sentinel, errors.Is(err, sentinel))
				}
			}
			if !strings.HasPrefix(err.Error(), "peoplehr: PeopleHR sent a malformed response: ") || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err %q does not say it is malformed: %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "maintenance") || strings.Contains(err.Error(), "PW2") {
				t.Errorf("err %q quotes the body", err)
			}
			if srv.requests.Load() != 1 || len(sl.all()) != 0 {
				t.Errorf("retried: %d requests, sleeps %v", srv.requests.Load(), sl.all())
			}
		})
	}
}
