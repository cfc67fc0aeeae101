package engine

import (
	"slices"
	"strings"
	"unicode"
)

// Field is a member field a source path can be mapped to.
type Field uint8

// The member fields, in the order the API and the error file list them.
const (
	EmployeeID Field = iota
	Email
	FirstName
	LastName
	PreferredName
	Title
	JobTitle
	Department
	Location
	Company
	StartDate
	DateOfBirth
	Mobile
	ManagerEmployeeID
	PayrollID
	Custom1
	Custom2
	Custom3
	Custom4
	Custom5
	NumFields
)

type kind uint8

const (
	kindText kind = iota
	kindKey
	kindEmail
	kindDate
)

type fieldSpec struct {
	name   string
	maxLen int // in characters (runes), not bytes: names may be in any script
	kind   kind
}

var fieldSpecs = [NumFields]fieldSpec{
	EmployeeID:        {"employeeId", 64, kindKey},
	Email:             {"email", 254, kindEmail},
	FirstName:         {"firstName", 100, kindText},
	LastName:          {"lastName", 100, kindText},
	PreferredName:     {"preferredName", 100, kindText},
	Title:             {"title", 30, kindText},
	JobTitle:          {"jobTitle", 200, kindText},
	Department:        {"department", 200, kindText},
	Location:          {"location", 200, kindText},
	Company:           {"company", 200, kindText},
	StartDate:         {"startDate", 10, kindDate},
	DateOfBirth:       {"dateOfBirth", 10, kindDate},
	Mobile:            {"mobile", 40, kindText},
	ManagerEmployeeID: {"managerEmployeeId", 64, kindText},
	PayrollID:         {"payrollId", 64, kindText},
	Custom1:           {"custom1", 255, kindText},
	Custom2:           {"custom2", 255, kindText},
	Custom3:           {"custom3", 255, kindText},
	Custom4:           {"custom4", 255, kindText},
	Custom5:           {"custom5", 255, kindText},
}

// String is the field's camelCase name, as the API and storage spell it.
func (f Field) String() string {
	if f >= NumFields {
		return "unknown"
	}
	return fieldSpecs[f].name
}

// MaxLen is the longest value the field keeps, in characters.
func (f Field) MaxLen() int { return fieldSpecs[f].maxLen }

// IsDate reports whether the field holds a yyyy-MM-dd date.
func (f Field) IsDate() bool { return fieldSpecs[f].kind == kindDate }

// FieldByName finds a field by its camelCase name.
func FieldByName(name string) (Field, bool) {
	for f := range NumFields {
		if fieldSpecs[f].name == name {
			return f, true
		}
	}
	return 0, false
}

// standardSources are the PeopleHR employee fields the mapping may use.
// BankDetail, NISNumber and Nationality are absent on purpose: they are
// never read (see Withheld).
var standardSources = []string{
	"EmployeeId", "Title", "FirstName", "LastName", "OtherName", "KnownAs",
	"EmailId", "StartDate", "DateOfBirth", "JobRole", "JobRoleChangeDate",
	"Company", "CompanyEffectiveDate", "Location", "LocationEffectiveDate",
	"Department", "DepartmentEffectiveDate", "ReportsTo", "ReportsToEffectiveDate",
	"ReportsToEmployeeId", "ReportsToEmailAddress", "EmploymentType", "EmploymentTypeEffectiveDate", "EmployeeStatus",
	"NoticePeriod", "ProbationEndDate", "Gender", "LeavingDate", "ReasonForLeaving",
	"APIColumn1", "APIColumn2", "APIColumn3", "APIColumn4", "APIColumn5",
	"ContactDetail.Address", "ContactDetail.WorkPhoneNumber",
	"ContactDetail.PersonalPhoneNumber", "ContactDetail.PersonalEmail",
	"ContactDetail.Mobile",
	"EmploymentDetail.PayrollCompany", "EmploymentDetail.PayrollID",
	"EmploymentDetail.TimeAndAttendanceID", "EmploymentDetail.RotaID",
	"EmploymentDetail.CRMID", "EmploymentDetail.ATSID",
	"EmploymentDetail.PerformanceID", "EmploymentDetail.BenefitsID",
	"EmploymentDetail.System1ID", "EmploymentDetail.System2ID",
	"EmploymentDetail.System3ID", "EmploymentDetail.MethodOfRecruitment",
}

// StandardSources lists the source paths PeopleHR documents, for field
// discovery. Records may carry more; ValidSource decides what may be mapped.
func StandardSources() []string { return append([]string(nil), standardSources...) }

// structuredDateSources are PeopleHR's own date fields, always yyyy-MM-dd.
// Every other source (custom columns, query rows) is read with the tenant's
// chosen date format.
func structuredDateSource(path string) bool {
	switch path {
	case "StartDate", "DateOfBirth", "ProbationEndDate", "LeavingDate", "JobRoleChangeDate":
		return true
	}
	return strings.HasSuffix(path, "EffectiveDate") && !strings.Contains(path, ".")
}

// ValidSource reports whether a source path may be mapped: a top-level field
// name or a ContactDetail/EmploymentDetail child, letters and digits only,
// and never a withheld one (BankDetail, NISNumber, ...).
func ValidSource(path string) bool {
	head, child, nested := strings.Cut(path, ".")
	if !identifier(head) || Withheld(path) != "" {
		return false
	}
	if !nested {
		return head != "BankDetail" && head != "ContactDetail" && head != "EmploymentDetail"
	}
	return (head == "ContactDetail" || head == "EmploymentDetail") && identifier(child)
}

func identifier(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		letter := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// dataClass is a kind of personal data, recognised by a source's name. The
// names come from PeopleHR, from custom columns and from hostile servers
// alike, so a class is recognised in any letter case and spelling: by
// phrases found anywhere in the name once it is lower-cased with all but
// letters and digits removed ("NIS Number", "nis_number", "NISNUMBER"),
// and by short words that must stand alone, because as substrings they hit
// harmless names ("BusinessName" holds "ssn").
type dataClass struct {
	what    string // in the admin's words: "it holds <what>"
	phrases []string
	words   []string
}

func (c dataClass) matches(squashed string, words []string) bool {
	for _, p := range c.phrases {
		if strings.Contains(squashed, p) {
			return true
		}
	}
	for _, w := range words {
		if slices.Contains(c.words, w) {
			return true
		}
	}
	return false
}

// withheldClasses are never read: a benefits directory needs none of them,
// and what is never read can never be stored, served or leaked.
// Nationality goes with the right-to-work data it is collected for.
var withheldClasses = []dataClass{
	{"a national identifier", []string{
		"nisnumber", "nationalinsurance", "insurancenumber", "nationalid", "socialsecurity",
		"socialinsurance", "passport", "taxid", "taxcode", "taxnumber", "taxreference", "taxpayer",
		"drivinglicen", "driverlicen", "driverslicen", "identitycard", "identitynumber",
	}, []string{"ni", "nis", "nino", "nic", "ssn", "sin", "tin", "utr", "nhs"}},
	{"bank details", []string{
		"bankdetail", "bankaccount", "accountnumber", "sortcode", "routingnumber", "buildingsociety",
	}, []string{"iban", "bic", "swift"}},
	{"salary data", []string{
		"salary", "payrate", "hourlyrate", "annualpay", "compensation", "remuneration",
	}, []string{"wage", "wages"}},
	{"right-to-work data", []string{
		"righttowork", "workpermit", "residencepermit", "immigration", "nationality",
	}, []string{"visa", "brp"}},
	{"other people's contact details", []string{"othercontact", "nextofkin", "emergencycontact"}, nil},
	{"background checks", []string{"backgrounddetail", "criminalrecord", "dbscheck"}, nil},
}

// personalClasses may be mapped when the programme needs them, but field
// discovery shows them masked and with a warning.
var personalClasses = []dataClass{
	{"a personal email address", []string{"personalemail", "privateemail", "homeemail"}, nil},
	{"a date of birth", []string{"dateofbirth", "birthdate", "birthday"}, []string{"dob"}},
	{"gender", []string{"gender"}, []string{"sex"}},
	{"a home address", []string{"contactdetailaddress", "homeaddress", "postaladdress", "postcode", "zipcode"}, nil},
	{"the reason for leaving", []string{"reasonforleaving", "leavingreason"}, nil},
	{"a personal phone number", []string{"personalphone", "homephone", "personalmobile", "contactdetailmobile"}, nil},
}

// Withheld says what a source path holds that the service never reads ("a
// national identifier"), or "" when it may be read. The PeopleHR decoder
// skips every such field unread, and no mapping or scope rule may name one.
func Withheld(path string) string { return classify(path, withheldClasses) }

// Personal says what personal data a readable source path holds ("a date
// of birth"), or "" for none that needs a warning.
func Personal(path string) string { return classify(path, personalClasses) }

func classify(path string, classes []dataClass) string {
	squashed, words := nameWords(path)
	for _, c := range classes {
		if c.matches(squashed, words) {
			return c.what
		}
	}
	return ""
}

// nameWords lower-cases a name with all but letters and digits removed, and
// splits it into lower-case words: at anything else, between a letter and a
// digit, before an upper-case letter that follows a lower-case one, and
// before the last capital of a run followed by a lower-case letter
// ("NISNumber" is "nis" and "number").
func nameWords(name string) (string, []string) {
	var squashed strings.Builder
	var words []string
	var word []rune
	flush := func() {
		if len(word) > 0 {
			words = append(words, string(word))
			word = word[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if i > 0 && len(word) > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			switch {
			case unicode.IsDigit(r) != unicode.IsDigit(prev),
				unicode.IsUpper(r) && unicode.IsLower(prev),
				unicode.IsUpper(r) && unicode.IsUpper(prev) && nextLower:
				flush()
			}
		}
		lower := unicode.ToLower(r)
		squashed.WriteRune(lower)
		word = append(word, lower)
	}
	flush()
	return squashed.String(), words
}
