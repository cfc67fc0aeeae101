package integration

// MailKind says which email a mail job asks for.
type MailKind string

const (
	MailWelcome MailKind = "welcome"
	MailSummary MailKind = "summary"
	MailReauth  MailKind = "reauthorize"
)

// MailJob is a mail queue message.
type MailJob struct {
	Kind       MailKind `json:"kind"`
	TenantID   string   `json:"tenantId"`
	EmployeeID string   `json:"employeeId,omitempty"`
	RunID      string   `json:"runId,omitempty"`
}
