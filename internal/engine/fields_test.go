package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Every national identifier, bank, salary and right-to-work field is
// refused in any spelling PeopleHR, a custom column or a hostile server may
// use; harmless fields whose names merely contain such letters are not.
func TestValidSource(t *testing.T) {
	tests := []struct {
		path     string
		valid    bool
		withheld string // what Withheld says, "" for readable
	}{
		{"EmployeeId", true, ""},
		{"EmailId", true, ""},
		{"ContactDetail.PersonalEmail", true, ""},
		{"EmploymentDetail.PayrollID", true, ""},
		{"APIColumn3", true, ""},
		{"BusinessName", true, ""}, // holds "ssn", not as a word
		{"Cousin", true, ""},       // holds "sin"
		{"Martin", true, ""},       // holds "tin"
		{"Nights", true, ""},       // holds "ni"
		{"HolidayAllowanceDays", true, ""},
		{"NISNumber", false, "a national identifier"},
		{"nisnumber", false, "a national identifier"},
		{"NISNUMBER", false, "a national identifier"},
		{"NiNumber", false, "a national identifier"},
		{"NINumber", false, "a national identifier"},
		{"NationalInsuranceNo", false, "a national identifier"},
		{"ContactDetail.NISNumber", false, "a national identifier"},
		{"EmploymentDetail.NINO", false, "a national identifier"},
		{"SSN", false, "a national identifier"},
		{"EmployeeSSN", false, "a national identifier"},
		{"SocialSecurityNumber", false, "a national identifier"},
		{"PassportNumber", false, "a national identifier"},
		{"TaxId", false, "a national identifier"},
		{"UTR", false, "a national identifier"},
		{"NHSNumber", false, "a national identifier"},
		{"DrivingLicenceNumber", false, "a national identifier"},
		{"BankDetail", false, "bank details"},
		{"bankdetail", false, "bank details"},
		{"BankDetail.AccountNumber", false, "bank details"},
		{"BankDetail.SortCode", false, "bank details"},
		{"IBAN", false, "bank details"},
		{"Salary", false, "salary data"},
		{"CurrentSalary", false, "salary data"},
		{"EmploymentDetail.HourlyRate", false, "salary data"},
		{"RightToWork", false, "right-to-work data"},
		{"VisaExpiry", false, "right-to-work data"},
		{"Nationality", false, "right-to-work data"},
		{"OtherContact", false, "other people's contact details"},
		{"BackgroundDetail", false, "background checks"},
		{"", false, ""},
		{"ContactDetail", false, ""},
		{"Unknown.Child", false, ""},
		{"ContactDetail.", false, ""},
		{"Emp-Id", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := ValidSource(tt.path); got != tt.valid {
				t.Errorf("ValidSource(%q) = %v, want %v", tt.path, got, tt.valid)
			}
			if got := Withheld(tt.path); got != tt.withheld {
				t.Errorf("Withheld(%q) = %q, want %q", tt.path, got, tt.withheld)
			}
		})
	}
}

// Field discovery offers only what may be mapped.
func TestStandardSourcesAreAllMappable(t *testing.T) {
	for _, path := range StandardSources() {
		if !ValidSource(path) {
			t.Errorf("standard source %q cannot be mapped", path)
		}
	}
	if slices.Contains(StandardSources(), "NISNumber") {
		t.Error("NISNumber is offered")
	}
}

func TestPersonal(t *testing.T) {
	tests := []struct{ path, want string }{
		{"ContactDetail.PersonalEmail", "a personal email address"},
		{"DateOfBirth", "a date of birth"},
		{"dateofbirth", "a date of birth"},
		{"DOB", "a date of birth"},
		{"Gender", "gender"},
		{"ContactDetail.Address", "a home address"},
		{"ReasonForLeaving", "the reason for leaving"},
		{"ContactDetail.PersonalPhoneNumber", "a personal phone number"},
		{"ContactDetail.Mobile", "a personal phone number"},
		{"EmailId", ""},
		{"ReportsToEmailAddress", ""},
		{"ContactDetail.WorkPhoneNumber", ""},
		{"LeavingDate", ""},
		{"Essex", ""}, // holds "sex", not as a word
	}
	for _, tt := range tests {
		if got := Personal(tt.path); got != tt.want {
			t.Errorf("Personal(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// A mapping naming a withheld source is refused with words that say why,
// on the unique key and on any member field alike.
func TestMappingRefusesWithheldSources(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(*Mapping)
		field    string
		withheld string
	}{
		{"NI number in a custom field", func(m *Mapping) { m.Fields["custom1"] = "NISNumber" }, "fields.custom1", "a national identifier"},
		{"NI number as the unique key", func(m *Mapping) { m.UniqueKey = "NISNumber" }, "uniqueKey", "a national identifier"},
		{"salary in payrollId", func(m *Mapping) { m.Fields["payrollId"] = "Salary" }, "fields.payrollId", "salary data"},
		{"bank account in custom2", func(m *Mapping) { m.Fields["custom2"] = "BankDetail.AccountNumber" }, "fields.custom2", "bank details"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := DefaultMapping()
			tt.edit(&m)
			var me *MappingError
			if err := m.Validate(); !errors.As(err, &me) {
				t.Fatalf("Validate = %v, want a *MappingError", err)
			}
			if len(me.Problems) != 1 || me.Problems[0].Field != tt.field ||
				!strings.Contains(me.Problems[0].Message, "it holds "+tt.withheld+", which the service never reads") {
				t.Errorf("problems = %+v, want one on %s saying it holds %s", me.Problems, tt.field, tt.withheld)
			}
		})
	}
}
