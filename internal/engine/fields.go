package engine

import "strings"

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

// Values holds one member's field values, indexed by Field. A fixed array
// rather than a map keeps 100,000 members small and comparisons cheap.
type Values [NumFields]string

// standardSources are the PeopleHR employee fields the mapping may use.
// BankDetail is absent on purpose: it is never read.
var standardSources = []string{
	"EmployeeId", "Title", "FirstName", "LastName", "OtherName", "KnownAs",
	"EmailId", "StartDate", "DateOfBirth", "JobRole", "JobRoleChangeDate",
	"Company", "CompanyEffectiveDate", "Location", "LocationEffectiveDate",
	"Department", "DepartmentEffectiveDate", "ReportsTo", "ReportsToEffectiveDate",
	"ReportsToEmployeeId", "ReportsToEmailAddress", "NISNumber", "Nationality",
	"EmploymentType", "EmploymentTypeEffectiveDate", "EmployeeStatus",
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
// and never anything under BankDetail.
func ValidSource(path string) bool {
	head, child, nested := strings.Cut(path, ".")
	if !identifier(head) {
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
