package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
)

// An admin can send a member's invitation again, or everyone's who has not
// joined: the member's welcome is owed again and queued at once, and the
// mailer sends it with a fresh link, spending the old one. The store
// allows one resend per member a day.

var (
	errJoined    = &Error{Status: http.StatusConflict, Code: "member_joined", Message: "This member has joined already: there is no invitation to send."}
	errLeft      = &Error{Status: http.StatusConflict, Code: "member_left", Message: "This member has left: leavers get no invitation."}
	errOnItsWay  = &Error{Status: http.StatusConflict, Code: "invitation_on_its_way", Message: "An invitation to this member is being sent right now."}
	errResentNow = &Error{Status: http.StatusConflict, Code: "conflict", Message: "Someone resent this invitation a moment ago."}
)

// resendError is the answer, at now, for why ResendInvite refused.
func resendError(err error, now time.Time) error {
	var soon *integration.TooSoonError
	switch {
	case errors.As(err, &soon):
		return &Error{Status: http.StatusTooManyRequests, Code: "resent_recently",
			RetryAfter: int(math.Ceil(soon.Next.Sub(now).Seconds())),
			Message:    "This invitation was resent in the last 24 hours: try again after " + soon.Next.UTC().Format("2 Jan 15:04 UTC") + "."}
	case errors.Is(err, integration.ErrNotFound):
		return errNotFound
	case errors.Is(err, integration.ErrJoined):
		return errJoined
	case errors.Is(err, integration.ErrMemberLeft):
		return errLeft
	case errors.Is(err, integration.ErrInviteOnItsWay):
		return errOnItsWay
	case errors.Is(err, integration.ErrConflict):
		return errResentNow
	}
	return err
}

func (s *Server) resendOne(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("employeeId")
	if id == "" || len(id) > 64 {
		return errNotFound
	}
	if err := s.store.ResendInvite(r.Context(), p.TenantID, id); err != nil {
		return resendError(err, s.now())
	}
	if err := s.mail.Send(r.Context(), welcomeJob(p.TenantID, id)); err != nil {
		// Owed on the member: the next import queues it.
		return fmt.Errorf("queue the resent welcome: %w", err)
	}
	s.log.InfoContext(r.Context(), "invitation resent", "tenantId", p.TenantID, "employeeId", id, "by", p.Email)
	s.audit(r.Context(), p, integration.AuditInvitationResent, "employee "+id)
	writeJSON(w, http.StatusAccepted, map[string]string{"employeeId": id, "status": "queued"})
	return nil
}

func welcomeJob(tenant, id string) integration.MailJob {
	return integration.MailJob{Kind: integration.MailWelcome, TenantID: tenant, EmployeeID: id}
}

// resendBudget keeps a resend to everyone inside API Gateway's 30 s: what
// is left when it runs out is reported, and the console asks again.
const resendBudget = 15 * time.Second

// resendResult is what a resend to everyone did.
type resendResult struct {
	// Resent are the invitations sent again now; Skipped the invited
	// members who cannot have one yet (resent in the last day, or one on
	// its way).
	Resent  int `json:"resent"`
	Skipped int `json:"skipped"`
	// Complete is false when the time ran out before every invited member
	// was seen: ask again for the rest (those resent now are skipped).
	Complete bool `json:"complete"`
}

// resendAll resends the invitation of every invited member who has not
// joined, page by page, a few at a time.
func (s *Server) resendAll(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	budget, cancel := context.WithTimeout(r.Context(), resendBudget)
	defer cancel()
	var res resendResult
	cursor := ""
	for budget.Err() == nil {
		members, next, err := s.store.ListMembers(r.Context(), p.TenantID, engine.StatusInvited, cursor, 100)
		if err != nil {
			return err
		}
		resent, skipped, err := s.resendPage(r.Context(), budget, p.TenantID, members)
		res.Resent, res.Skipped = res.Resent+resent, res.Skipped+skipped
		if err != nil {
			return err
		}
		if next == "" {
			res.Complete = true
			break
		}
		cursor = next
	}
	s.log.InfoContext(r.Context(), "invitations resent", "tenantId", p.TenantID, "by", p.Email,
		"resent", res.Resent, "skipped", res.Skipped, "complete", res.Complete)
	s.audit(r.Context(), p, integration.AuditInvitationResent, fmt.Sprintf("to every invited member: %d resent, %d skipped", res.Resent, res.Skipped))
	writeJSON(w, http.StatusOK, res)
	return nil
}

// resendPage resends the invitations of one page of invited members and
// queues them; a member that cannot have one now is skipped, and so is
// one reached after the budget ran out. What is resent is queued whatever
// the budget, so no resent welcome waits for the next import.
func (s *Server) resendPage(ctx, budget context.Context, tenant string, members []engine.Member) (resent, skipped int, err error) {
	ok := make([]bool, len(members))
	var g errgroup.Group
	g.SetLimit(8)
	for i := range members {
		if members[i].Accepted {
			continue
		}
		g.Go(func() error {
			if budget.Err() != nil {
				return nil
			}
			err := s.store.ResendInvite(ctx, tenant, members[i].EmployeeID())
			// resendError gives another error only for a refusal of
			// this member (joined, left, resent today...): skipped.
			if err == nil || resendError(err, s.now()) != err {
				ok[i] = err == nil
				return nil
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, 0, err
	}
	var jobs []integration.MailJob
	for i, sent := range ok {
		if sent {
			jobs = append(jobs, welcomeJob(tenant, members[i].EmployeeID()))
		}
	}
	if err := s.mail.Send(ctx, jobs...); err != nil {
		return 0, 0, fmt.Errorf("queue the resent welcomes: %w", err)
	}
	return len(jobs), len(members) - len(jobs), nil
}
