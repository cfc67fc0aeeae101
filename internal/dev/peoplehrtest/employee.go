package peoplehrtest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
)

// ActiveStatus is EmployeeStatus for current staff, future leavers and
// pre-hires alike.
const ActiveStatus = "1"

// Employee is one employee as the sandbox knows it. The JSON tags define the
// fixture file format only; the wire format is written by the server.
type Employee struct {
	EmployeeID          string `json:"employeeId"`
	Title               string `json:"title,omitempty"`
	FirstName           string `json:"firstName"`
	LastName            string `json:"lastName"`
	OtherName           string `json:"otherName,omitempty"`
	KnownAs             string `json:"knownAs,omitempty"`
	EmailID             string `json:"emailId"`
	StartDate           string `json:"startDate"`
	DateOfBirth         string `json:"dateOfBirth,omitempty"`
	JobRole             string `json:"jobRole,omitempty"`
	Company             string `json:"company,omitempty"`
	Location            string `json:"location,omitempty"`
	Department          string `json:"department,omitempty"`
	ReportsTo           string `json:"reportsTo,omitempty"`
	ReportsToEmployeeID string `json:"reportsToEmployeeId,omitempty"`
	EmploymentType      string `json:"employmentType,omitempty"`
	EmployeeStatus      string `json:"employeeStatus"`
	Gender              string `json:"gender,omitempty"`
	NISNumber           string `json:"nisNumber,omitempty"`
	LeavingDate         string `json:"leavingDate,omitempty"`
	ReasonForLeaving    string `json:"reasonForLeaving,omitempty"`
	APIColumn1          string `json:"apiColumn1,omitempty"`
	APIColumn2          string `json:"apiColumn2,omitempty"`
	APIColumn3          string `json:"apiColumn3,omitempty"`
	APIColumn4          string `json:"apiColumn4,omitempty"`
	APIColumn5          string `json:"apiColumn5,omitempty"`

	ContactDetail    ContactDetail    `json:"contactDetail"`
	EmploymentDetail EmploymentDetail `json:"employmentDetail"`
	BankDetail       BankDetail       `json:"bankDetail"`
}

// ContactDetail is PeopleHR's nested ContactDetail object.
type ContactDetail struct {
	Address             string `json:"address,omitempty"`
	WorkPhoneNumber     string `json:"workPhoneNumber,omitempty"`
	PersonalPhoneNumber string `json:"personalPhoneNumber,omitempty"`
	PersonalEmail       string `json:"personalEmail,omitempty"`
	Mobile              string `json:"mobile,omitempty"`
}

// EmploymentDetail is PeopleHR's nested EmploymentDetail object.
type EmploymentDetail struct {
	PayrollCompany string `json:"payrollCompany,omitempty"`
	PayrollID      string `json:"payrollId,omitempty"`
	BenefitsID     string `json:"benefitsId,omitempty"`
}

// BankDetail is served on the wire only so tests can prove the client
// never reads it. All values are fake.
type BankDetail struct {
	AccountName   string `json:"accountName,omitempty"`
	AccountNumber string `json:"accountNumber,omitempty"`
	SortCode      string `json:"sortCode,omitempty"`
}

// Left reports whether PeopleHR counts the employee as a leaver, which is
// what IncludeLeavers filters on. A future leaver is still active until
// the day, so the status, not the leaving date, decides.
func (e Employee) Left() bool { return e.EmployeeStatus != ActiveStatus }

// LoadFixture reads a fixture file: a JSON array of Employee.
func LoadFixture(path string) ([]Employee, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading fixture: %w", err)
	}
	return parseFixture(data)
}

// WriteFixture writes employees as a fixture file LoadFixture reads back.
func WriteFixture(path string, employees []Employee) error {
	data, err := json.MarshalIndent(employees, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding fixture: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing fixture: %w", err)
	}
	return nil
}

func parseFixture(data []byte) ([]Employee, error) {
	var employees []Employee
	if err := json.Unmarshal(data, &employees); err != nil {
		return nil, fmt.Errorf("decoding fixture: %w", err)
	}
	return employees, nil
}

//go:embed testdata/demo.json
var demoFixture []byte

// DemoEmployees returns the demo tenant: about 25 employees covering the
// cases the sync rules must handle (leavers, a future leaver, a pre-hire,
// blank, invalid and shared emails, a bad custom date, an over-long job
// title, a formula-injection name, names in several scripts).
func DemoEmployees() []Employee {
	employees, err := parseFixture(demoFixture)
	if err != nil {
		// The fixture is compiled in and covered by a test.
		panic(err)
	}
	return employees
}
