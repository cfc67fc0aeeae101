package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
)

type sourceView struct {
	Path      string   `json:"path"`
	Examples  []string `json:"examples"`
	Sensitive bool     `json:"sensitive"`
	Warning   string   `json:"warning"`
}

type fieldsView struct {
	Sources []sourceView `json:"sources"`
}

// Field discovery never shows a withheld field, shows personal fields only
// masked and with a warning, and leaves the others as PeopleHR sent them.
func TestFieldsMaskPersonalData(t *testing.T) {
	people := staff()
	people[0].NISNumber, people[1].NISNumber = "QQ123456C", "QQ654321A"
	people[0].DateOfBirth, people[1].DateOfBirth = "1985-03-14", "1990-11-02"
	people[0].Gender, people[1].Gender, people[2].Gender = "Female", "Male", "Female"
	people[0].ReasonForLeaving = "Dismissed for misconduct"
	people[0].ContactDetail = peoplehrtest.ContactDetail{Address: "12 High Street, Leeds LS1 4AB", PersonalEmail: "jane.doe@gmail.com",
		PersonalPhoneNumber: "07700 900456", Mobile: "07700 900789", WorkPhoneNumber: "0113 496 0000"}
	people[1].ContactDetail.PersonalEmail = "zoë@mail.example.co.uk"
	people[0].APIColumn1 = "14/03/1985" // a custom column is the tenant's own: shown as is
	e := newEnv(t, people)
	e.call(t, "acme", http.MethodPost, "/integration/authorization", `{"apiKey":"`+peoplehrtest.DefaultAPIKey+`"}`, http.StatusOK, nil)
	var fields fieldsView
	rec := e.call(t, "acme", http.MethodGet, "/integration/fields", "", http.StatusOK, &fields)

	for _, raw := range []string{"QQ123456C", "QQ654321A", "1985-03-14", "1990-11-02", "Female", "Male", "Dismissed", "High Street",
		"jane.doe", "gmail", "zoë", "900456", "900789"} {
		if strings.Contains(rec.Body.String(), raw) {
			t.Errorf("field discovery shows %q", raw)
		}
	}
	tests := []struct {
		path      string
		examples  []string
		sensitive bool
		warning   string // substring, "" for none
	}{
		{"ContactDetail.PersonalEmail", []string{"j•••@•••.com", "z•••@•••.uk"}, true, "a personal email address"},
		{"DateOfBirth", []string{"19••-••-••"}, true, "a date of birth"},
		{"Gender", []string{"•••"}, true, "gender"},
		{"ContactDetail.Address", []string{"•••"}, true, "a home address"},
		{"ReasonForLeaving", []string{"•••"}, true, "the reason for leaving"},
		{"ContactDetail.PersonalPhoneNumber", []string{"•••"}, true, "a personal phone number"},
		{"ContactDetail.Mobile", []string{"•••"}, true, "a personal phone number"},
		{"ContactDetail.WorkPhoneNumber", []string{"0113 496 0000"}, false, ""},
		{"EmailId", []string{"e1@acme.example", "e2@acme.example", "e3@acme.example"}, false, ""},
		{"APIColumn1", []string{"14/03/1985"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			i := slices.IndexFunc(fields.Sources, func(s sourceView) bool { return s.Path == tt.path })
			if i < 0 {
				t.Fatalf("%s is not offered", tt.path)
			}
			got := fields.Sources[i]
			slices.Sort(got.Examples)
			if !slices.Equal(got.Examples, tt.examples) || got.Sensitive != tt.sensitive {
				t.Errorf("examples %q sensitive %v, want %q %v", got.Examples, got.Sensitive, tt.examples, tt.sensitive)
			}
			if (tt.warning == "") != (got.Warning == "") || !strings.Contains(got.Warning, tt.warning) {
				t.Errorf("warning %q, want one naming %q", got.Warning, tt.warning)
			}
		})
	}
	for _, s := range fields.Sources {
		if s.Path == "NISNumber" || s.Path == "Nationality" || strings.HasPrefix(s.Path, "BankDetail") {
			t.Errorf("%s is offered", s.Path)
		}
	}
}

// Saving a mapping that names a withheld source is refused with words
// that say why, and saves nothing.
func TestMappingRefusesWithheldSources(t *testing.T) {
	tests := []struct {
		name, body, field, what string
	}{
		{"NI number into a custom field", `{"uniqueKey":"EmployeeId","fields":{"email":"EmailId","custom1":"NISNumber"}}`, "fields.custom1", "a national identifier"},
		{"NI number in another case", `{"uniqueKey":"EmployeeId","fields":{"email":"EmailId","custom2":"nisnumber"}}`, "fields.custom2", "a national identifier"},
		{"NI number as the unique key", `{"uniqueKey":"NISNumber","fields":{"email":"EmailId"}}`, "uniqueKey", "a national identifier"},
		{"salary", `{"uniqueKey":"EmployeeId","fields":{"email":"EmailId","payrollId":"Salary"}}`, "fields.payrollId", "salary data"},
		{"right to work", `{"uniqueKey":"EmployeeId","fields":{"email":"EmailId","custom3":"RightToWork"}}`, "fields.custom3", "right-to-work data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, staff())
			var bad apiError
			e.call(t, "acme", http.MethodPut, "/integration/mapping", tt.body, http.StatusBadRequest, &bad)
			d := bad.Error.Details
			if len(d) != 1 || d[0].Field != tt.field || !strings.Contains(d[0].Message, "it holds "+tt.what+", which the service never reads") {
				t.Errorf("details %+v, want one on %s naming %s", d, tt.field, tt.what)
			}
			var in struct {
				Mapping struct {
					UniqueKey string            `json:"uniqueKey"`
					Fields    map[string]string `json:"fields"`
				} `json:"mapping"`
			}
			e.call(t, "acme", http.MethodGet, "/integration", "", http.StatusOK, &in)
			if in.Mapping.UniqueKey != "EmployeeId" || in.Mapping.Fields["email"] != "EmailId" || len(in.Mapping.Fields) != 8 {
				t.Errorf("mapping changed: %+v", in.Mapping)
			}
		})
	}
}
