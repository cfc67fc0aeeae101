package integration

import "time"

// ExportKind is what an export holds.
type ExportKind string

const (
	// ExportMembers is the member directory: the mapped fields and the
	// status dates, one member a row.
	ExportMembers ExportKind = "members"
	// ExportAudit is the audit trail of admin actions.
	ExportAudit ExportKind = "audit"
	// ExportLog is the provisioning log of the runs of a period, across
	// members.
	ExportLog ExportKind = "log"
)

// ExportFormat is how an export's file is written.
type ExportFormat string

const (
	FormatCSV ExportFormat = "csv"
	// FormatJSONLines is one JSON object a line (the log only).
	FormatJSONLines ExportFormat = "jsonl"
)

// ExportStatus is where an export is in its life.
type ExportStatus string

const (
	ExportRunning ExportStatus = "running"
	ExportDone    ExportStatus = "done"
	ExportFailed  ExportStatus = "failed"
)

// Export is one file an admin asked for: its progress while it is
// written (Rows of Total), then where it is kept.
type Export struct {
	TenantID string
	ExportID string
	Kind     ExportKind
	Format   ExportFormat
	// From and To are the period of a log export: days (yyyy-MM-dd) in
	// the tenant's zone, To included.
	From, To      string
	Status        ExportStatus
	Rows, Total   int
	FileKey       string
	RequestedBy   string
	CreatedAt     time.Time
	FinishedAt    time.Time
	FailureReason string
}

// ExportRetention is how long an export's record and file are kept: an
// export is a download, not an archive (template.yaml's bucket rule
// expires the files after the same day).
const ExportRetention = 24 * time.Hour
