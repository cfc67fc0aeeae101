package files

import (
	"io"
	"time"

	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// ExportKey is where an export's file lives: under exports/, which the
// bucket's lifecycle rule empties after a day, and the tenant's prefix.
func ExportKey(tenant, exportID string) string {
	return "exports/" + tenant + "/" + exportID + ".csv"
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
			rec = append(rec, mem.Values[f])
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
