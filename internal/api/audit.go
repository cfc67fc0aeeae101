package api

import (
	"context"
	"net/http"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// audit records what the admin p just did in the tenant's audit trail.
// It is called once the action has taken effect, so the trail never shows
// what did not happen. A trail write that fails does not undo the action
// nor fail the answer (the admin would retry what is already done): it is
// logged as an error, which the API's error alarm counts.
func (s *Server) audit(ctx context.Context, p auth.Principal, action, detail string) {
	now := s.now().UTC()
	e := integration.AuditEntry{ID: integration.NewRunID(now), At: now, Actor: p.Email, Action: action, Detail: detail}
	if err := s.store.AddAudit(ctx, p.TenantID, e); err != nil {
		s.log.ErrorContext(ctx, "audit entry not recorded", "tenantId", p.TenantID, "action", action, "error", err)
	}
}

// auditTrail is the tenant's audit trail, newest first, a page at a time.
func (s *Server) auditTrail(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	entries, next, err := s.store.AuditTrail(r.Context(), p.TenantID, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	out := page[integration.AuditEntry]{Items: entries, NextCursor: next}
	if out.Items == nil {
		out.Items = []integration.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
