package files

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/peoplesync/peoplesync/internal/engine"
)

var header = []string{"row", "employee id", "field", "message", "severity"}

// WriteCSV writes issues as the error file's CSV.
func WriteCSV(w io.Writer, issues []engine.Issue) error {
	return WriteRows(w, header, len(issues), func(i int) []string {
		is := issues[i]
		row := ""
		if is.Row > 0 {
			row = strconv.Itoa(is.Row)
		}
		return []string{row, is.EmployeeID, is.Field, is.Message, string(is.Severity)}
	}, nil)
}

// WriteRows writes a CSV of n rows under header, row(i) giving the i-th.
// Every cell a spreadsheet could take for a formula is defused: every CSV
// this service hands out goes through here. progress, when set, is told
// how many rows are written after each one.
func WriteRows(w io.Writer, header []string, n int, row func(i int) []string, progress func(written int)) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for i := range n {
		rec := row(i)
		for j := range rec {
			rec[j] = Defuse(rec[j])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		if progress != nil {
			progress(i + 1)
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
