package integration

// MailKind says which email a mail job asks for.
type MailKind string

const (
	MailWelcome MailKind = "welcome"
	MailSummary MailKind = "summary"
	MailReauth  MailKind = "reauthorize"
	// MailReminder reminds an invited member who has not joined, with a
	// fresh link.
	MailReminder MailKind = "reminder"
)

// MailJob is a mail queue message.
type MailJob struct {
	Kind       MailKind `json:"kind"`
	TenantID   string   `json:"tenantId"`
	EmployeeID string   `json:"employeeId,omitempty"`
	RunID      string   `json:"runId,omitempty"`
	// Reminder is which reminder (1, 2...) a reminder job asks for.
	Reminder int `json:"reminder,omitempty"`
}
