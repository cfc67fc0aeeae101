package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

// PeopleHR posts change notifications to a tenant's listener URL,
// https://<api>/hooks/peoplehr?key=<secret>. The secret is in the query
// because the path is what API Gateway's access log and this API's log
// lines record; the query is recorded nowhere. A notification is only a
// hint: it queues the tenant's change run for its window, which reads
// PeopleHR again with the tenant's key.

// hookPath is the listener route's path.
const hookPath = "/hooks/peoplehr"

// maxHookBody caps a notification: a flat packet of a few fields.
const maxHookBody = 16 << 10

// listenerView is what the admin sees of the listener: when it was made.
// The URL is shown once, by the answer that makes it.
type listenerView struct {
	CreatedAt string `json:"createdAt"`
	URL       string `json:"url,omitempty"`
}

// putListener makes a new listener URL, replacing any other: the old one
// stops working at once.
func (s *Server) putListener(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	secret, hash := integration.NewListenerSecret()
	l, err := s.store.PutListener(r.Context(), p.TenantID, hash)
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "listener URL made", "tenantId", p.TenantID, "by", p.Email)
	s.audit(r.Context(), p, integration.AuditListenerMade, "a new listener URL; any earlier one stopped")
	writeJSON(w, http.StatusCreated, listenerView{
		CreatedAt: l.CreatedAt.UTC().Format(time.RFC3339),
		URL:       publicBase(r) + hookPath + "?" + url.Values{"key": {secret}}.Encode(),
	})
	return nil
}

// deleteListener revokes the listener URL.
func (s *Server) deleteListener(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.store.DeleteListener(r.Context(), p.TenantID); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "listener URL revoked", "tenantId", p.TenantID, "by", p.Email)
	s.audit(r.Context(), p, integration.AuditListenerRevoked, "the listener URL stopped")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// publicBase is the address PeopleHR reaches this API at, from the request
// the admin made through it: API Gateway's host, https there.
func publicBase(r *http.Request) string {
	scheme := "https"
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || (p == "" && r.TLS == nil && isLoopback(r.Host)) {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

func isLoopback(host string) bool {
	return strings.HasPrefix(host, "127.0.0.1:") || strings.HasPrefix(host, "localhost:") || host == "localhost"
}

// errUnknownListener answers a notification whose key is missing or names
// no listener: the same whatever was wrong, so a guess learns nothing.
var errUnknownListener = &Error{Status: http.StatusNotFound, Code: "not_found", Message: "No listener here."}

// hook receives a notification: it finds the tenant by the key's hash,
// reads the employee it names and whether it is a change this service
// follows, notes the employee for the tenant's change run of its window
// and queues that run. Anything
// else PeopleHR sends (holidays, absences...) is acknowledged and ignored.
func (s *Server) hook(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	if key == "" || len(key) > 128 {
		s.writeError(w, r, errUnknownListener)
		return
	}
	tenant, err := s.store.ListenerTenant(r.Context(), integration.ListenerHash(key))
	if errors.Is(err, integration.ErrNotFound) {
		s.log.Info("notification for no listener", "requestId", requestID(r))
		s.writeError(w, r, errUnknownListener)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.take(r, tenant, s.limits.Hooks); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := readNotification(w, r)
	if err != nil {
		s.log.Info("notification not read", "requestId", requestID(r), "tenantId", tenant, "error", err)
		s.writeError(w, r, invalid("The notification cannot be read: send JSON or form fields with EmployeeId."))
		return
	}
	log := s.log.With("requestId", requestID(r), "tenantId", tenant, "actionId", n.actionID, "action", n.action)
	if !n.followed() {
		log.Info("notification ignored: not a change this service follows")
		writeJSON(w, http.StatusOK, map[string]bool{"queued": false})
		return
	}
	if !peoplehr.ValidEmployeeID(n.employeeID) {
		log.Info("notification ignored: its employee id cannot be PeopleHR's")
		writeJSON(w, http.StatusOK, map[string]bool{"queued": false})
		return
	}
	// The id is noted before the job is queued: the run the job starts
	// reads every id noted by then.
	job := integration.ChangeJob(tenant, s.now())
	if err := s.store.NoteChange(r.Context(), tenant, job.RunID, n.employeeID); err != nil {
		s.writeError(w, r, fmt.Errorf("note the change: %w", err))
		return
	}
	if err := s.jobs.Send(r.Context(), job); err != nil {
		s.writeError(w, r, fmt.Errorf("queue the change run: %w", err))
		return
	}
	log.Info("notification queued a change run", "runId", job.RunID)
	writeJSON(w, http.StatusAccepted, map[string]bool{"queued": true})
}

// notification is what a change notification says, as far as it is read.
type notification struct {
	actionID   int
	action     string
	employeeID string
}

// followed reports whether the notification is of a change to an
// employee's record: a new starter, a detail changed, a leaver marked, an
// employee deleted (by id or, for ids PeopleHR may add, by its words).
func (n notification) followed() bool {
	if n.employeeID == "" {
		return false
	}
	switch n.actionID {
	case 1, 2, 3:
		return true
	}
	a := strings.ToLower(n.action)
	for _, w := range []string{"starter", "employee detail", "leaver", "deleted"} {
		if strings.Contains(a, w) {
			return true
		}
	}
	return false
}

// readNotification reads a notification sent as a JSON object or as form
// fields (PeopleHR's encoding is not documented), keys in any case.
func readNotification(w http.ResponseWriter, r *http.Request) (notification, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHookBody))
	if err != nil {
		return notification{}, fmt.Errorf("read the body: %w", err)
	}
	fields := map[string]string{}
	raw = bytes.TrimSpace(raw)
	if bytes.HasPrefix(raw, []byte("{")) {
		var obj map[string]any
		if err := json.Unmarshal(raw, &obj); err != nil {
			return notification{}, fmt.Errorf("decode JSON: %w", err)
		}
		for k, v := range obj {
			switch v := v.(type) {
			case string:
				fields[strings.ToLower(k)] = v
			case float64:
				fields[strings.ToLower(k)] = strconv.FormatFloat(v, 'f', -1, 64)
			}
		}
	} else {
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return notification{}, fmt.Errorf("decode form: %w", err)
		}
		for k, vs := range form {
			fields[strings.ToLower(k)] = vs[0]
		}
	}
	n := notification{action: fields["action"], employeeID: strings.TrimSpace(fields["employeeid"])}
	n.actionID, _ = strconv.Atoi(strings.TrimSpace(fields["actionid"]))
	if len(n.employeeID) > 64 || len(n.action) > 200 {
		return notification{}, errors.New("a field is too long")
	}
	return n, nil
}
