package platform

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/events"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/logging"
)

// openAPI documents the routes (routes_test.go checks they agree).
//
//go:embed openapi.json
var openAPI []byte

// Store reads members and redeems invitations.
type Store interface {
	GetMember(ctx context.Context, tenant, employeeID string) (engine.Member, error)
	MemberByEmail(ctx context.Context, tenant, email string) (engine.Member, error)
	RedeemInvite(ctx context.Context, tenant, tokenHash string) (engine.Member, error)
	// ChangedMembers reads a page of at most limit (at least 1) members
	// changed after cursor ("" is the start), leavers included, and the
	// cursor to read on from; a cursor it did not give wraps
	// integration.ErrBadCursor.
	ChangedMembers(ctx context.Context, tenant, cursor string, limit int) ([]engine.Member, string, error)
}

// Events publishes lifecycle events.
type Events interface {
	Publish(ctx context.Context, evs ...events.Event) error
}

// Authenticator names the machine client a request comes from: API
// Gateway's validated claims in Lambda (auth.MachineFromGatewayClaims), a
// token verified here locally. Its errors wrap auth.ErrUnauthenticated.
type Authenticator func(r *http.Request) (auth.Machine, error)

// Server serves the platform routes.
type Server struct {
	store  Store
	events Events
	authn  Authenticator
	log    *slog.Logger
	mux    *http.ServeMux
}

// New builds the platform API; every dependency is required.
func New(store Store, evs Events, authn Authenticator, log *slog.Logger) (*Server, error) {
	if store == nil || evs == nil || authn == nil || log == nil {
		return nil, errors.New("platform: every dependency is required")
	}
	s := &Server{store: store, events: evs, authn: authn, log: log, mux: http.NewServeMux()}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern, s.guard(rt.scope, rt.h))
	}
	// The contract, for the platform's engineers: no data, no token.
	s.mux.HandleFunc("GET /platform/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})
	// Answered in the API's shape, not the mux's text.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, &apiError{http.StatusNotFound, "not_found", "No such route."})
	})
	return s, nil
}

type handler func(w http.ResponseWriter, r *http.Request, tenant string) error

// route is one documented route and the scope it requires; routes_test.go
// checks them against openapi.json and template.yaml.
type route struct {
	pattern string
	scope   string
	h       handler
}

func (s *Server) routes() []route {
	return []route{
		{"POST /platform/tenants/{tenantId}/invitations/redeem", auth.ScopeInvitationsRedeem, s.redeem},
		{"GET /platform/tenants/{tenantId}/members/{employeeId}", auth.ScopeMembersRead, s.member},
		{"GET /platform/tenants/{tenantId}/members", auth.ScopeMembersRead, s.members},
	}
}

// ServeHTTP answers a request; anything but the routes is 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// guard authenticates the client, checks its scope and the tenant in the
// path, and writes the handler's error as an API error.
func (s *Server) guard(scope string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log := logging.For(r.Context(), s.log)
		m, err := s.authn(r)
		if err != nil {
			log.Info("platform request refused", "reason", err.Error())
			writeError(w, &apiError{http.StatusUnauthorized, "unauthenticated", "A valid platform token is required."})
			return
		}
		if !m.Has(scope) {
			log.Info("platform request without its scope", "client", m.Client, "scope", scope)
			writeError(w, &apiError{http.StatusForbidden, "insufficient_scope", "This token may not call this route: it needs the scope " + scope + "."})
			return
		}
		tenant := r.PathValue("tenantId")
		if !integration.ValidTenantID(tenant) {
			writeError(w, &apiError{http.StatusBadRequest, "invalid_request", "The tenant id is not valid."})
			return
		}
		if err := h(w, r, tenant); err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				log.Error("platform request failed", "client", m.Client, "tenantId", tenant, "error", err)
				ae = &apiError{http.StatusInternalServerError, "internal", "Something went wrong; try again."}
			}
			writeError(w, ae)
		}
	})
}

// maxBody bounds a request body: a redemption is a token of 43 characters.
const maxBody = 4 << 10

type redeemRequest struct {
	Token string `json:"token"`
}

func (s *Server) redeem(w http.ResponseWriter, r *http.Request, tenant string) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return &apiError{http.StatusRequestEntityTooLarge, "invalid_request", "The body is too large."}
	}
	var req redeemRequest
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Token == "" || len(req.Token) > 256 {
		return &apiError{http.StatusBadRequest, "invalid_request", `The body must be {"token": "<the token from the welcome link>"}.`}
	}
	m, err := s.store.RedeemInvite(r.Context(), tenant, integration.InviteHash(req.Token))
	switch {
	case errors.Is(err, integration.ErrNotFound):
		return &apiError{http.StatusNotFound, "invitation_not_found", "No such invitation in this programme."}
	case errors.Is(err, integration.ErrInviteSpent):
		return &apiError{http.StatusConflict, "invitation_spent", "This invitation was used already, or replaced by a newer one."}
	case errors.Is(err, integration.ErrInviteExpired):
		return &apiError{http.StatusGone, "invitation_expired", "This invitation has expired: ask your programme admin for a new invitation."}
	case errors.Is(err, integration.ErrMemberLeft):
		return &apiError{http.StatusForbidden, "member_left", "This member has left the programme."}
	case err != nil:
		return err
	}
	// The join is stored; a lost event is what the directory's reads
	// reconcile, so it does not undo the answer.
	ev := events.Event{Type: events.MemberJoined, Detail: events.Joined{
		TenantID: tenant, EmployeeID: m.EmployeeID(), Status: m.Status, OccurredAt: m.JoinedAt.UTC(),
	}}
	if err := s.events.Publish(r.Context(), ev); err != nil {
		logging.For(r.Context(), s.log).Error("member joined but its event was not published", "tenantId", tenant, "employeeId", m.EmployeeID(), "error", err)
	}
	writeJSON(w, http.StatusOK, viewMember(tenant, &m))
	return nil
}

func (s *Server) member(w http.ResponseWriter, r *http.Request, tenant string) error {
	m, err := s.store.GetMember(r.Context(), tenant, r.PathValue("employeeId"))
	return s.answer(w, tenant, m, err)
}

// Pages of changes hold 1 to maxPage members, defaultPage unless ?limit=
// says otherwise.
const (
	defaultPage = 100
	maxPage     = 500
)

// changesView is a page of members changed since a cursor. Next is always
// given: the platform keeps it and asks with it again, later, for what
// changed since.
type changesView struct {
	Members []memberView `json:"members"`
	Next    string       `json:"next"`
}

// members is the lookup by ?email= or, without it, the page of members
// changed since ?changedSince= (absent or empty: from the start) that
// lets the platform mirror the directory and catch up on missed events.
func (s *Server) members(w http.ResponseWriter, r *http.Request, tenant string) error {
	q := r.URL.Query()
	if q.Has("email") {
		return s.memberByEmail(w, r, tenant)
	}
	limit := defaultPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return &apiError{http.StatusBadRequest, "invalid_request", fmt.Sprintf("Give ?limit= a whole number from 1 to %d.", maxPage)}
		}
		limit = n
	}
	ms, next, err := s.store.ChangedMembers(r.Context(), tenant, q.Get("changedSince"), limit)
	if errors.Is(err, integration.ErrBadCursor) {
		return &apiError{http.StatusBadRequest, "invalid_request", "Give ?changedSince= a cursor this API gave (next), or nothing to start over."}
	}
	if err != nil {
		return fmt.Errorf("changed members: %w", err)
	}
	page := changesView{Members: make([]memberView, 0, len(ms)), Next: next}
	for i := range ms {
		page.Members = append(page.Members, viewMember(tenant, &ms[i]))
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) memberByEmail(w http.ResponseWriter, r *http.Request, tenant string) error {
	email := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("email")))
	if !engine.ValidEmail(email) {
		return &apiError{http.StatusBadRequest, "invalid_request", "Give ?email= a valid email address."}
	}
	m, err := s.store.MemberByEmail(r.Context(), tenant, email)
	return s.answer(w, tenant, m, err)
}

func (s *Server) answer(w http.ResponseWriter, tenant string, m engine.Member, err error) error {
	if errors.Is(err, integration.ErrNotFound) {
		return &apiError{http.StatusNotFound, "member_not_found", "No such member in this programme."}
	}
	if err != nil {
		return fmt.Errorf("read member: %w", err)
	}
	writeJSON(w, http.StatusOK, viewMember(tenant, &m))
	return nil
}

// apiError is an answer other than 200, in the admin API's shape.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, map[string]any{"error": map[string]string{"code": e.code, "message": e.message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// memberView is a member as the platform reads it. UpdatedAt tells a
// mirror which of two copies of a member is newer: a page of changes may
// give one more than once.
type memberView struct {
	TenantID   string            `json:"tenantId"`
	EmployeeID string            `json:"employeeId"`
	Email      string            `json:"email"`
	Status     engine.Status     `json:"status"`
	Access     accessView        `json:"access"`
	JoinedAt   *time.Time        `json:"joinedAt"`
	UpdatedAt  time.Time         `json:"updatedAt"`
	Fields     map[string]string `json:"fields"`
}

// accessView says what the platform must let the member do: full, or
// restricted from the leaving date until the account is deleted.
type accessView struct {
	Level     string `json:"level"`
	LeftOn    string `json:"leftOn,omitempty"`
	DeletesOn string `json:"deletesOn,omitempty"`
}

func viewMember(tenant string, m *engine.Member) memberView {
	v := memberView{
		TenantID: tenant, EmployeeID: m.EmployeeID(), Email: m.Email(), Status: m.Status,
		Access: accessView{Level: "full"}, UpdatedAt: m.UpdatedAt.UTC(), Fields: map[string]string{},
	}
	if m.Status == engine.StatusLeaver {
		v.Access = accessView{Level: "restricted", LeftOn: m.LeftOn, DeletesOn: m.PurgeOn}
	}
	if !m.JoinedAt.IsZero() {
		at := m.JoinedAt.UTC()
		v.JoinedAt = &at
	}
	// Only what the tenant maps is stored, so every stored value is one
	// the programme uses; ids and email are above.
	for f := engine.Email + 1; f < engine.NumFields; f++ {
		if val := m.Values.Get(f); val != "" {
			v.Fields[f.String()] = val
		}
	}
	return v
}
