package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Mapping says where each member field comes from. Fields maps a member field
// name ("email", "custom2") to a source path ("EmailId", "APIColumn2",
// "ContactDetail.PersonalEmail"). UniqueKey is the source of employeeId.
type Mapping struct {
	UniqueKey string            `json:"uniqueKey"`
	Fields    map[string]string `json:"fields"`
}

// DefaultMapping is what a new integration starts with.
func DefaultMapping() Mapping {
	return Mapping{
		UniqueKey: "EmployeeId",
		Fields: map[string]string{
			"email":         "EmailId",
			"firstName":     "FirstName",
			"lastName":      "LastName",
			"preferredName": "KnownAs",
			"jobTitle":      "JobRole",
			"department":    "Department",
			"location":      "Location",
			"startDate":     "StartDate",
		},
	}
}

// MappingError lists what is wrong with a mapping, one message per field, in
// words an admin can act on.
type MappingError struct {
	Problems []FieldProblem
}

// FieldProblem is one field-level complaint.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *MappingError) Error() string { return "invalid mapping: " + describe(e.Problems) }

// describe joins problems for an error message.
func describe(problems []FieldProblem) string {
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.Field + ": " + p.Message
	}
	return strings.Join(msgs, "; ")
}

// ErrInvalidMapping is matched by every *MappingError.
var ErrInvalidMapping = errors.New("invalid mapping")

func (e *MappingError) Is(target error) bool { return target == ErrInvalidMapping }

// compiled is a validated mapping as the planner uses it: one source per field.
type compiled struct {
	sources [NumFields]string // "" when the field is not mapped
}

// withheldMessage tells the admin why a source is refused, so that they do
// not take it for a typo and look for another spelling.
const withheldMessage = "%q is not a PeopleHR field that can be mapped: it holds %s, which the service never reads"

// compile checks the mapping and resolves names to fields.
func (m Mapping) compile() (compiled, error) {
	var c compiled
	var problems []FieldProblem
	add := func(field, format string, args ...any) {
		problems = append(problems, FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case m.UniqueKey == "":
		add("uniqueKey", "choose the PeopleHR field that identifies each employee (usually EmployeeId)")
	case Withheld(m.UniqueKey) != "":
		add("uniqueKey", withheldMessage, m.UniqueKey, Withheld(m.UniqueKey))
	case !ValidSource(m.UniqueKey):
		add("uniqueKey", "%q is not a PeopleHR field that can be mapped", m.UniqueKey)
	default:
		c.sources[EmployeeID] = m.UniqueKey
	}
	names := make([]string, 0, len(m.Fields))
	for name := range m.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		src := m.Fields[name]
		f, ok := FieldByName(name)
		switch {
		case !ok:
			add("fields."+name, "%q is not a member field", name)
		case f == EmployeeID:
			if src != m.UniqueKey {
				add("fields.employeeId", "employeeId comes from uniqueKey; set uniqueKey instead")
			}
		case Withheld(src) != "":
			add("fields."+name, withheldMessage, src, Withheld(src))
		case !ValidSource(src):
			add("fields."+name, "%q is not a PeopleHR field that can be mapped", src)
		default:
			c.sources[f] = src
		}
	}
	if _, ok := m.Fields["email"]; !ok {
		add("fields.email", "email must be mapped: every member needs an email address")
	}
	if len(problems) > 0 {
		return compiled{}, &MappingError{Problems: problems}
	}
	return c, nil
}

// Validate reports whether the mapping can be used, as a *MappingError.
func (m Mapping) Validate() error {
	_, err := m.compile()
	return err
}
