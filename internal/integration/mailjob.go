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

// MailJobVersion is the mail queue message format the service writes. A
// message without a version is version 1, queued before welcomes were
// packed: it names at most one member, in EmployeeID.
const MailJobVersion = 2

// WelcomesPerJob bounds the members one welcome job names: the mailer
// sends them one after another at its SES rate (SESSendRate, 5 a second by
// default), so a full job takes 40 s of the mailer's 120 s timeout
// (template.yaml, README "Mail jobs"). It is far below what fits an SQS
// message.
const WelcomesPerJob = 200

// MailJob is a mail queue message.
type MailJob struct {
	// Version is the message's format (MailJobVersion); 0 is version 1.
	Version  int      `json:"v,omitempty"`
	Kind     MailKind `json:"kind"`
	TenantID string   `json:"tenantId"`
	// EmployeeID is the member of a reminder, or of a version 1 welcome.
	EmployeeID string `json:"employeeId,omitempty"`
	// EmployeeIDs are the members a welcome job asks to mail, each claimed,
	// sent and settled on its own.
	EmployeeIDs []string `json:"employeeIds,omitempty"`
	RunID       string   `json:"runId,omitempty"`
	// Reminder is which reminder (1, 2...) a reminder job asks for.
	Reminder int `json:"reminder,omitempty"`
}

// Members are the members a welcome job names, whichever its version.
func (j MailJob) Members() []string {
	if len(j.EmployeeIDs) == 0 && j.EmployeeID != "" {
		return []string{j.EmployeeID}
	}
	return j.EmployeeIDs
}
