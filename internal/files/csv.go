package files

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/peoplesync/peoplesync/internal/engine"
)

var header = []string{"row", "employee id", "field", "message", "severity"}

// WriteCSV writes issues as the error file's CSV. Every cell a spreadsheet
// could take for a formula is defused.
func WriteCSV(w io.Writer, issues []engine.Issue) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, is := range issues {
		row := ""
		if is.Row > 0 {
			row = strconv.Itoa(is.Row)
		}
		rec := []string{row, is.EmployeeID, is.Field, is.Message, string(is.Severity)}
		for i := range rec {
			rec[i] = Defuse(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Defuse prefixes a quote to a cell that starts like a formula (=, +, -, @,
// or a tab or carriage return that some spreadsheets skip before one), the
// OWASP advice against CSV injection: PeopleHR values are typed by anyone.
func Defuse(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}
