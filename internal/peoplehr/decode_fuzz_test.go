package peoplehr

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/peoplesync/peoplesync/internal/engine"
)

type decoded struct {
	records []map[string]string
	failed  bool
}

func decodeAll(body []byte) decoded {
	var out decoded
	_, _, err := decodeResponse(bytes.NewReader(body), func(rec map[string]string) error {
		out.records = append(out.records, rec)
		return nil
	})
	out.failed = err != nil
	return out
}

// FuzzDecode feeds the decoder arbitrary bodies. Besides not panicking, it
// must never let a withheld field through (BankDetail, NISNumber, ...): no
// record key names one, and a record's output is the same whatever valid
// JSON its BankDetail or NISNumber holds. A byte-order mark before a body
// changes nothing.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"isError":false,"Status":0,"Result":[{"EmployeeId":{"DisplayValue":"PW1","FieldHistory":[]}}]}`),
		[]byte(`{"AccountNumber":{"DisplayValue":"12345678","FieldHistory":[]}}`))
	f.Add([]byte(`{"Result":{"ContactDetail":{"Mobile":"07700 900000"},"BankDetail":{"SortCode":"00-00-00"}},"Status":"0"}`),
		[]byte(`[{"DisplayValue":"x"}]`))
	f.Add([]byte(`{"IsError":"true","Status":5,"Message":"API key does not exists.","Result":null}`), []byte(`"12-34-56"`))
	f.Add([]byte(`{"Status":0,"Result":[{"JobRole":{"FieldHistoryForJobRole":[[[]]],"DisplayValue":1.5e3}},null,{}]}`), []byte(`null`))
	f.Add([]byte(`{"Status":0,"Result":[{"A":{"DisplayValue":{"DisplayValue":"x"}}},{"EmploymentDetail":[1]}`), []byte(`{"a":{"b":{"c":[true,false]}}}`))

	f.Add([]byte("\uFEFF"+`{"isError":false,"Status":0,"Result":[{"EmployeeId":"PW1"}]}`), []byte(`{}`))

	f.Fuzz(func(t *testing.T, body, bank []byte) {
		plain := decodeAll(body)
		for _, rec := range plain.records {
			for k := range rec {
				if what := engine.Withheld(k); what != "" {
					t.Fatalf("record key %q leaks %s", k, what)
				}
			}
		}
		// Only one mark is skipped: a body that starts with its own would
		// lose it here.
		if !bytes.HasPrefix(body, []byte(utf8BOM)) {
			if marked := decodeAll(append([]byte(utf8BOM), body...)); marked.failed != plain.failed || !reflect.DeepEqual(marked.records, plain.records) {
				t.Fatalf("a byte-order mark changed the output:\n got %+v\nwant %+v", marked, plain)
			}
		}

		if !json.Valid(bank) {
			return
		}
		// body stands in for the rest of a record after a withheld field;
		// bank stands in for that field's value.
		for _, name := range []string{"BankDetail", "NISNumber"} {
			frame := func(value []byte) []byte {
				b := []byte(`{"isError":false,"Status":0,"Result":[{"EmployeeId":"PW1","` + name + `":`)
				b = append(b, value...)
				if len(body) > 0 {
					b = append(append(b, ','), body...)
				}
				return append(b, `}]}`...)
			}
			got, want := decodeAll(frame(bank)), decodeAll(frame([]byte(`{}`)))
			if got.failed != want.failed || !reflect.DeepEqual(got.records, want.records) {
				t.Fatalf("%s %s changed the output:\n got %+v\nwant %+v", name, bank, got, want)
			}
		}
	})
}
