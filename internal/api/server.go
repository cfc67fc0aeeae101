package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/console"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/logging"
)

// Store is what the API reads and writes in the table.
type Store interface {
	GetIntegration(ctx context.Context, tenant string) (*integration.Integration, error)
	PutIntegration(ctx context.Context, in *integration.Integration) error
	GetRun(ctx context.Context, tenant, runID string) (*integration.Run, error)
	CreateRun(ctx context.Context, r *integration.Run) error
	SaveRun(ctx context.Context, r *integration.Run) error
	ListRuns(ctx context.Context, tenant, cursor string, limit int) ([]*integration.Run, string, error)
	// QueueRun records a queued run unless one the tenant queued is still
	// queued or running, which it returns instead.
	QueueRun(ctx context.Context, r *integration.Run) (*integration.Run, error)
	// DecideHeld records a decision on a held run if none was taken
	// (integration.ErrConflict otherwise), or withdraws it.
	DecideHeld(ctx context.Context, tenant, runID, from, to string) error
	Members(ctx context.Context, tenant string) ([]engine.Member, error)
	GetMember(ctx context.Context, tenant, employeeID string) (engine.Member, error)
	ListMembers(ctx context.Context, tenant string, status engine.Status, cursor string, limit int) ([]engine.Member, string, error)
	// SearchMembers finds members by a prefix of their surname, given
	// name, email or employee id (integration.ErrBadQuery: nothing to
	// search by), as search hits.
	SearchMembers(ctx context.Context, tenant, q, cursor string, limit int) ([]engine.Member, string, error)
	HeldPlan(ctx context.Context, tenant, runID string) ([]engine.Change, error)
	MemberLog(ctx context.Context, tenant, employeeID, cursor string, limit int) ([]integration.LogEntry, string, error)
	// ResendInvite owes a member its welcome again (integration's errors
	// say why not).
	ResendInvite(ctx context.Context, tenant, employeeID string) error
	PutListener(ctx context.Context, tenant, hash string) (*integration.Listener, error)
	DeleteListener(ctx context.Context, tenant string) error
	GetListener(ctx context.Context, tenant string) (*integration.Listener, error)
	ListenerTenant(ctx context.Context, hash string) (string, error)
	NoteChange(ctx context.Context, tenant, runID, employeeID string) error
	AddAudit(ctx context.Context, tenant string, e integration.AuditEntry) error
	AuditTrail(ctx context.Context, tenant, cursor string, limit int) ([]integration.AuditEntry, string, error)
	SaveExport(ctx context.Context, x *integration.Export) error
	GetExport(ctx context.Context, tenant, exportID string) (*integration.Export, error)
	ListExports(ctx context.Context, tenant, cursor string, limit int) ([]*integration.Export, string, error)
	// LogOfPeriod reads the log of the runs queued from from to before
	// to, by run then employee id, at most max lines and one more.
	LogOfPeriod(ctx context.Context, tenant string, from, to time.Time, max int) ([]integration.LogEntry, error)
}

// Mail queues mail jobs.
type Mail interface {
	Send(ctx context.Context, jobs ...integration.MailJob) error
}

// Feed reads a tenant's PeopleHR employees.
type Feed interface {
	FetchAll(ctx context.Context, apiKey string, start func() func(rec map[string]string) error) (int, error)
}

// Keys seals and opens API keys.
type Keys interface {
	Seal(ctx context.Context, tenant, apiKey string) ([]byte, error)
	Open(ctx context.Context, tenant string, sealed []byte) (string, error)
}

// Jobs queues import jobs.
type Jobs interface {
	Send(ctx context.Context, jobs ...integration.Job) error
}

// Links signs short-lived download links to error files, and reads a
// run's issues from them a page at a time.
type Links interface {
	Presign(ctx context.Context, key string, ttl time.Duration) (string, error)
	// Issues reads a page of a run's issues of one severity ("" for both):
	// integration.ErrNotFound when the run kept none to page through.
	Issues(ctx context.Context, tenant, runID string, severity engine.Severity, cursor string, limit int) ([]engine.Issue, string, error)
}

// ExportFiles keeps the files of exports, served by Links.
type ExportFiles interface {
	PutExport(ctx context.Context, key, filename, contentType string, body []byte) error
}

// Authenticator finds who is calling: the tenant and the admin.
type Authenticator func(r *http.Request) (auth.Principal, error)

// Server serves the API.
type Server struct {
	store Store
	feed  Feed
	keys  Keys
	jobs  Jobs
	links Links
	// exports, when set, keeps the files admins export (WithExports).
	exports ExportFiles
	authn   Authenticator
	log     *slog.Logger
	now     func() time.Time
	mux     *http.ServeMux
	// tokens, when set, keeps each tenant's buckets for limits.
	tokens TokenTaker
	limits Limits
	// mail queues the welcomes an admin resends.
	mail Mail
	// egressIP, when set, is the one address the service's calls to
	// PeopleHR come from (template.yaml's FixedEgress): the setup help
	// tells admins with an IP-restricted key to allow it.
	egressIP string
}

// Option changes a Server's defaults.
type Option func(*Server)

// WithEgressIP names the address PeopleHR sees the service's calls from,
// shown in GET /integration as egressIp.
func WithEgressIP(ip netip.Addr) Option {
	return func(s *Server) { s.egressIP = ip.String() }
}

// WithExports keeps the files of exports there; without it, POST /exports
// answers that exports are off.
func WithExports(files ExportFiles) Option {
	return func(s *Server) { s.exports = files }
}

// New builds the API; every dependency is required, options are not.
func New(store Store, feed Feed, keys Keys, jobs Jobs, mail Mail, links Links, authn Authenticator, log *slog.Logger, now func() time.Time, opts ...Option) (*Server, error) {
	if store == nil || feed == nil || keys == nil || jobs == nil || mail == nil || links == nil || authn == nil || log == nil || now == nil {
		return nil, errors.New("api: every dependency is required")
	}
	s := &Server{store: store, feed: feed, keys: keys, jobs: jobs, mail: mail, links: links, authn: authn, log: log, now: now, mux: http.NewServeMux()}
	for _, o := range opts {
		o(s)
	}
	s.routes()
	return s, nil
}

type handler func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

// route is one documented route; openapi_test.go checks the two agree.
type route struct {
	pattern string
	h       handler
}

func (s *Server) table() []route {
	return []route{
		{"GET /integration", s.getIntegration},
		{"PUT /integration/settings", s.putSettings},
		{"POST /integration/authorization", s.authorize},
		{"DELETE /integration/authorization", s.revoke},
		{"GET /integration/fields", s.fields},
		{"PUT /integration/mapping", s.putMapping},
		{"GET /integration/review", s.review},
		{"POST /integration/publish", s.publish},
		{"POST /integration/unpublish", s.unpublish},
		{"POST /imports", s.importNow},
		{"GET /imports", s.listImports},
		{"GET /imports/{runId}", s.getImport},
		{"GET /imports/{runId}/errors", s.errorFile},
		{"GET /imports/{runId}/issues", s.runIssues},
		{"GET /imports/{runId}/changes", s.heldChanges},
		{"POST /imports/{runId}/approve", s.approve},
		{"POST /imports/{runId}/discard", s.discard},
		{"GET /members", s.listMembers},
		{"GET /members/{employeeId}", s.getMember},
		{"GET /members/{employeeId}/log", s.memberLog},
		{"POST /members/{employeeId}/invitation", s.resendOne},
		{"POST /invitations/resend", s.resendAll},
		{"POST /integration/listener", s.putListener},
		{"DELETE /integration/listener", s.deleteListener},
		{"GET /audit", s.auditTrail},
		{"POST /exports", s.createExport},
		{"GET /exports", s.listExports},
		{"GET /exports/{exportId}", s.getExport},
	}
}

func (s *Server) routes() {
	for _, rt := range s.table() {
		s.mux.Handle(rt.pattern, s.authed(rt.h))
	}
	// PeopleHR's notifications carry no token: the listener's key is the
	// credential (listener.go).
	s.mux.HandleFunc("POST "+hookPath, s.hook)
	s.mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})
	// The admin console's static pages hold no data, so they need no
	// token: every call they make is an authenticated API call. They are
	// not API routes, so not in table().
	page := console.Must()
	s.mux.Handle("GET /{$}", page)
	s.mux.Handle("GET "+console.Prefix, page)
}

type requestIDKey struct{}

// ServeHTTP routes a request, framed as every answer is.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.frame(w, r, func(w http.ResponseWriter, r *http.Request) {
		// ServeHTTP, not the matched handler, so the path values get set.
		if h, pattern := s.mux.Handler(r); pattern == "" {
			s.noRoute(w, r, h)
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

// frame gives a request an id (API Gateway's when there is one), sends it
// back in X-Request-Id and logs it with every line, sets the headers every
// answer carries and answers a panic in the error envelope. Requests the
// Lambda adapter refuses before they reach the routes are framed the same.
func (s *Server) frame(w http.ResponseWriter, r *http.Request, serve http.HandlerFunc) {
	id := r.Header.Get("X-Request-Id")
	if !validRequestID(id) {
		id = newRequestID()
	}
	w.Header().Set("X-Request-Id", id)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	r = r.WithContext(logging.WithRequestID(context.WithValue(r.Context(), requestIDKey{}, id), id))
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic in handler", "requestId", id, "panic", v)
			s.writeError(w, r, &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "Something went wrong on our side."})
		}
	}()
	serve(w, r)
}

// noRoute answers a request no route takes, 404 or 405 as the mux decides,
// in the error envelope.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request, muxReply http.Handler) {
	rec := httptest.NewRecorder()
	muxReply.ServeHTTP(rec, r)
	if allow := rec.Header().Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	e := &Error{Status: http.StatusNotFound, Code: "not_found", Message: "No such route: see /openapi.json."}
	if rec.Code == http.StatusMethodNotAllowed {
		e = &Error{Status: rec.Code, Code: "method_not_allowed", Message: "This route does not take " + r.Method + "."}
	}
	s.writeError(w, r, e)
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// authed runs h for an authenticated admin within the tenant's rate
// limit, and turns its error into the error envelope. The limit comes
// after authentication because its key is the token's tenant: a request
// without a valid token never spends a tenant's tokens.
func (s *Server) authed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authn(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="peoplesync"`)
			// Why the token was refused (expired, no iat, a crit header...)
			// goes to the log only: the caller gets the same words whatever
			// the reason, so a forger learns nothing about which check held.
			s.writeError(w, r, &refusal{
				shown: &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "Sign in again: the token is missing, invalid or expired."},
				cause: err,
			})
			return
		}
		if err := s.throttle(r, p); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r, p); err != nil {
			s.writeError(w, r.WithContext(logging.WithRequestID(r.Context(), requestID(r))), err)
		}
	})
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

// writeError answers with the error envelope. Errors that are not *Error
// are internal: logged with the request id, never shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	var ref *refusal
	if errors.As(err, &ref) {
		s.log.Warn("request refused", "requestId", requestID(r), "path", r.URL.Path, "code", ref.shown.Code, "error", ref.cause)
	}
	if !errors.As(err, &e) {
		switch {
		case errors.Is(err, integration.ErrNotFound):
			e = errNotFound
		case errors.Is(err, integration.ErrConflict):
			e = errStale
		case errors.Is(err, integration.ErrBadCursor):
			e = invalid("The cursor is not one this API gave.", FieldProblem{Field: "cursor", Message: "invalid"})
		default:
			s.log.Error("request failed", "requestId", requestID(r), "path", r.URL.Path, "error", err)
			e = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "Something went wrong on our side: try again, and quote the request id if it persists."}
		}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	body := map[string]any{"error": e, "requestId": requestID(r)}
	writeJSON(w, e.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v) // the client went away: nothing to do
}
