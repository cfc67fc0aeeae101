package engine

// Record is one PeopleHR employee flattened to source paths: top-level fields
// by name ("EmployeeId", "LeavingDate", "APIColumn2") and nested ones by a
// dotted path ("ContactDetail.PersonalEmail", "EmploymentDetail.PayrollID").
// Values are the DisplayValue strings as PeopleHR sent them. The decoder never
// puts BankDetail or history arrays in a Record.
type Record map[string]string

// Source paths the rules read whatever the mapping says: they decide whether
// an employee is active.
const (
	SourceLeavingDate    = "LeavingDate"
	SourceEmployeeStatus = "EmployeeStatus"
)
