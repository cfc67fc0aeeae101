package files

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/peoplesync/peoplesync/internal/engine"
)

func TestDefuse(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"E001":             "E001",
		"=1+2":             "'=1+2",
		"+44 20 7946 0000": "'+44 20 7946 0000",
		"-5":               "'-5",
		"@SUM(A1)":         "'@SUM(A1)",
		"\t=cmd":           "'\t=cmd",
		"\r=cmd":           "'\r=cmd",
		"Zoë =not a start": "Zoë =not a start",
		"'already quoted":  "'already quoted",
		"王伟":               "王伟",
	} {
		if got := Defuse(in); got != want {
			t.Errorf("Defuse(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	err := WriteCSV(&buf, []engine.Issue{
		{Row: 3, EmployeeID: "=HYPERLINK(\"http://x\")", Field: "email", Message: `"a,b" is not a valid email address`, Severity: engine.SeverityError},
		{EmployeeID: "E9", Message: "not found in PeopleHR\nsecond line", Severity: engine.SeverityWarning},
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"row", "employee id", "field", "message", "severity"},
		{"3", "'=HYPERLINK(\"http://x\")", "email", `"a,b" is not a valid email address`, "error"},
		{"", "E9", "", "not found in PeopleHR\nsecond line", "warning"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %q", rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
}
