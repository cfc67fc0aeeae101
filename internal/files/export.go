package files

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// ExportKey is where an export's file lives: under exports/, which the
// bucket's lifecycle rule empties after a day, and the tenant's prefix;
// ext is the format's (csv, jsonl).
func ExportKey(tenant, exportID, ext string) string {
	return "exports/" + tenant + "/" + exportID + "." + ext
}

// memberStatusColumns follow the mapped fields in the members export.
var memberStatusColumns = []string{"status", "invited", "joined", "left", "purge"}

// MemberColumns are the mapped fields, in the platform's order: only what
// the mapping fills is stored, so only that is exported.
func MemberColumns(m engine.Mapping) []engine.Field {
	cols := []engine.Field{engine.EmployeeID}
	for f := range engine.NumFields {
		if f != engine.EmployeeID && m.Fields[f.String()] != "" {
			cols = append(cols, f)
		}
	}
	return cols
}

// WriteMembers writes the members export: the mapped fields, the status,
// when the member was invited and joined (RFC 3339, UTC) and the leaving
// and purge dates (yyyy-MM-dd).
func WriteMembers(w io.Writer, m engine.Mapping, members []engine.Member, progress func(int)) error {
	cols := MemberColumns(m)
	head := make([]string, 0, len(cols)+len(memberStatusColumns))
	for _, f := range cols {
		head = append(head, f.String())
	}
	head = append(head, memberStatusColumns...)
	return WriteRows(w, head, len(members), func(i int) []string {
		mem := &members[i]
		rec := make([]string, 0, len(head))
		for _, f := range cols {
			rec = append(rec, mem.Values.Get(f))
		}
		return append(rec, string(mem.Status), stamp(mem.InvitedAt), stamp(mem.JoinedAt), mem.LeftOn, mem.PurgeOn)
	}, progress)
}

var auditHeader = []string{"at", "admin", "action", "detail"}

// WriteAudit writes the audit trail, newest first as given.
func WriteAudit(w io.Writer, entries []integration.AuditEntry, progress func(int)) error {
	return WriteRows(w, auditHeader, len(entries), func(i int) []string {
		e := entries[i]
		return []string{stamp(e.At), e.Actor, e.Action, e.Detail}
	}, progress)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

var logHeader = []string{"run", "at", "employee id", "action", "field", "old", "new", "reason"}

// LogRows is how many rows the log's CSV has: one a field changed, one for
// a line that changed none (a skip, a close with no field).
func LogRows(entries []integration.LogEntry) int {
	n := 0
	for _, e := range entries {
		n += max(1, len(e.Changes))
	}
	return n
}

// WriteLogCSV writes the provisioning log as CSV, a row a field changed.
func WriteLogCSV(w io.Writer, entries []integration.LogEntry, progress func(int)) error {
	type row struct {
		e *integration.LogEntry
		c integration.FieldChange
	}
	rows := make([]row, 0, LogRows(entries))
	for i := range entries {
		e := &entries[i]
		if len(e.Changes) == 0 {
			rows = append(rows, row{e: e})
		}
		for _, c := range e.Changes {
			rows = append(rows, row{e, c})
		}
	}
	return WriteRows(w, logHeader, len(rows), func(i int) []string {
		r := rows[i]
		return []string{r.e.RunID, stamp(r.e.At), r.e.EmployeeID, r.e.Action, r.c.Field, r.c.Old, r.c.New, r.e.Reason}
	}, progress)
}

// WriteLogJSONLines writes the provisioning log as JSON lines: one
// integration.LogEntry (the API's shape of a log line) a line.
func WriteLogJSONLines(w io.Writer, entries []integration.LogEntry, progress func(int)) error {
	enc := json.NewEncoder(w)
	for i := range entries {
		if err := enc.Encode(&entries[i]); err != nil {
			return fmt.Errorf("encode log line %d of %s: %w", i+1, entries[i].RunID, err)
		}
		if progress != nil {
			progress(i + 1)
		}
	}
	return nil
}
