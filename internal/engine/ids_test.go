package engine

import (
	"strconv"
	"strings"
	"testing"
)

// TestEmployeeIDsThatCannotBeAKey: SPEC 2.2 makes a missing or blank unique
// key a row error; so is an id no member page could open or that would
// read as another. What cleaning already removes (controls, the invisible
// characters) leaves the id it would be without them; what is left is
// refused: the dot segments, which browsers resolve away in
// /members/{id}, and format characters (bidi marks, tags).
// Characters a URL escapes (/ ? # % and spaces) are kept: the console and
// the API escape and unescape them, and PeopleHR ids such as "UK/001" exist.
func TestEmployeeIDsThatCannotBeAKey(t *testing.T) {
	refused := func(id, row string) planCase {
		return planCase{
			name:    "id " + strconv.QuoteToASCII(id) + " is a row error",
			records: []Record{rec(id, "a@example.com"), rec("E2", "b@example.com")},
			kinds:   "create:E2",
			issues:  row,
			counts:  Counts{Created: 1, Errors: 1, Total: 2},
			check: func(t *testing.T, p Plan) {
				for _, is := range p.Issues {
					if strings.ContainsFunc(is.Message+is.EmployeeID, func(r rune) bool { return r == '\u202e' || r == '\u200f' }) {
						t.Errorf("the issue shows a format character unescaped: %+v", is)
					}
				}
			},
		}
	}
	kept := func(raw, id string) planCase {
		return planCase{
			name:    "id " + strconv.QuoteToASCII(raw) + " is kept",
			records: []Record{rec(raw, "a@example.com")},
			kinds:   "create:" + id,
			counts:  Counts{Created: 1, Total: 1},
		}
	}
	runPlanCases(t, []planCase{
		refused(".", "1/./employeeId/error"),
		refused("..", "1/../employeeId/error"),
		refused(" .. ", "1/../employeeId/error"),
		refused("\u200fE1", "1//employeeId/error"),
		refused("E1\U000E0041", "1//employeeId/error"),
		kept("...", "..."),
		kept(".E1", ".E1"),
		kept("UK/001", "UK/001"),
		kept("E#1?a=%2F", "E#1?a=%2F"),
		// Cleaning drops these before the check: the id is what is left.
		kept("E\x001", "E1"),
		kept("\ufeffE\u200b1", "E1"),
		kept("E\u202e1", "E1"), // a bidi override, as in any value
	})
}
