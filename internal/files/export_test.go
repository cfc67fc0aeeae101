package files

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

func TestWriteMembers(t *testing.T) {
	m := engine.Mapping{UniqueKey: "EmployeeId", Fields: map[string]string{"email": "EmailId", "lastName": "LastName", "firstName": "FirstName"}}
	var joined, leaver engine.Member
	joined.Values.Set(engine.EmployeeID, "E1")
	joined.Values.Set(engine.Email, "ann@example.com")
	joined.Values.Set(engine.FirstName, "Ann")
	joined.Values.Set(engine.LastName, "=HYPERLINK(\"http://x\")")
	joined.Values.Set(engine.JobTitle, "not mapped: never exported")
	joined.Status, joined.InvitedAt, joined.JoinedAt = engine.StatusActive, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 10, 30, 0, 0, time.FixedZone("x", 3600))
	leaver.Values.Set(engine.EmployeeID, "E2")
	leaver.Values.Set(engine.FirstName, "-Bo")
	leaver.Status, leaver.LeftOn, leaver.PurgeOn = engine.StatusLeaver, "2026-03-05", "2026-05-04"
	var buf bytes.Buffer
	var seen []int
	if err := WriteMembers(&buf, m, []engine.Member{joined, leaver}, func(n int) { seen = append(seen, n) }); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"employeeId", "email", "firstName", "lastName", "status", "invited", "joined", "left", "purge"},
		{"E1", "ann@example.com", "Ann", "'=HYPERLINK(\"http://x\")", "active", "2026-03-01T09:00:00Z", "2026-03-02T09:30:00Z", "", ""},
		{"E2", "", "'-Bo", "", "leaver", "", "", "2026-03-05", "2026-05-04"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows\n%q\nwant\n%q", rows, want)
	}
	if !reflect.DeepEqual(seen, []int{1, 2}) {
		t.Errorf("progress %v", seen)
	}
}

func TestWriteAudit(t *testing.T) {
	var buf bytes.Buffer
	err := WriteAudit(&buf, []integration.AuditEntry{{At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Actor: "admin@x.example", Action: "settings.saved", Detail: "+cmd"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "at,admin,action,detail\n2026-03-01T09:00:00Z,admin@x.example,settings.saved,'+cmd\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
