package peoplehr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxEmployeeIDLen is PeopleHR's limit on an employee ID, in characters.
// A longer ID cannot name an employee, so it is refused without spending
// a call of the rate limit; it also bounds what an untrusted change
// notification can put into an error.
const maxEmployeeIDLen = 15

// errEmployeeID is the cause of a call refused before it was made.
var errEmployeeID = errors.New("an employee ID is 1 to 15 characters")

// ValidEmployeeID reports whether id can name a PeopleHR employee.
func ValidEmployeeID(id string) bool {
	return id != "" && utf8.RuneCountInString(id) <= maxEmployeeIDLen
}

type getByIDRequest struct {
	APIKey     string `json:"APIKey"`
	Action     string `json:"Action"`
	EmployeeID string `json:"EmployeeId"`
}

// FetchEmployee reads one employee, leaver or not, with
// GetEmployeeDetailById: the re-read a change notification asks for. The
// record is flattened exactly as FetchAll flattens each of its records,
// withheld fields skipped, and the call is retried and throttled the same
// way.
//
// It fails the way FetchAll does, wrapped with the employee ID, and also
// with an *Error matching ErrEmployeeNotFound when PeopleHR knows no such
// employee (or no longer does), and with ErrMalformed when the answer is
// not that one employee.
func (c *Client) FetchEmployee(ctx context.Context, apiKey, employeeID string) (map[string]string, error) {
	if !ValidEmployeeID(employeeID) {
		return nil, fmt.Errorf("peoplehr: reading employee: %w", errEmployeeID)
	}
	// Marshalling strings cannot fail.
	body, _ := json.Marshal(getByIDRequest{APIKey: apiKey, Action: actionGetEmployeeDetailByID, EmployeeID: employeeID})
	var rec map[string]string
	n, err := c.call(ctx, apiKey, actionGetEmployeeDetailByID, body, func() func(map[string]string) error {
		rec = nil
		return func(r map[string]string) error {
			if rec == nil {
				rec = r
			}
			return nil
		}
	})
	var perr *Error
	switch {
	case errors.As(err, &perr) && perr.kind == nil && employeeUnknownMessage(perr.Status, perr.Message):
		perr.kind = ErrEmployeeNotFound
	case err != nil:
	case n == 0:
		// Status 10, or success with an empty or null Result: the other
		// ways PeopleHR's actions say "no record".
		err = &Error{HTTPStatus: http.StatusOK, kind: ErrEmployeeNotFound}
	case n > 1:
		err = &Error{HTTPStatus: http.StatusOK, Err: &malformedError{fmt.Sprintf("Result holds %d records for one EmployeeId", n)}, kind: ErrMalformed}
	case !strings.EqualFold(rec["EmployeeId"], employeeID):
		// Taking another employee's record for this one would overwrite
		// the wrong member.
		err = &Error{HTTPStatus: http.StatusOK, Err: &malformedError{"the record is another employee's"}, kind: ErrMalformed}
	default:
		return rec, nil
	}
	return nil, fmt.Errorf("peoplehr: reading employee %q: %w", employeeID, err)
}
