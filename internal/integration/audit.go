package integration

import "time"

// AuditEntry is one admin action in a tenant's audit trail: who (the
// admin's email from their token) did what, when. Detail says what the
// action touched in plain words; it never holds a key, a secret or a
// member's personal data.
type AuditEntry struct {
	// ID sorts by time (NewRunID's form): the trail reads newest first
	// straight from the table.
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Detail string    `json:"detail"`
}

// The actions the audit trail records.
const (
	AuditSettingsSaved    = "settings.saved"
	AuditMappingSaved     = "mapping.saved"
	AuditKeyAdded         = "key.added"
	AuditKeyRevoked       = "key.revoked"
	AuditListenerMade     = "listener.made"
	AuditListenerRevoked  = "listener.revoked"
	AuditHeldApproved     = "import.approved"
	AuditHeldDiscarded    = "import.discarded"
	AuditImportStarted    = "import.started"
	AuditExportRequested  = "export.requested"
	AuditPublished        = "integration.published"
	AuditUnpublished      = "integration.unpublished"
	AuditInvitationResent = "invitation.resent"
)

// AuditRetention keeps the trail as long as the import history (SPEC
// section 3).
const AuditRetention = 400 * 24 * time.Hour
