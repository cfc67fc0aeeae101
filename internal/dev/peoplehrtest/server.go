package peoplehrtest

import (
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// DefaultAPIKey is the key a server accepts, with the Employee permission,
// when Options.APIKey is empty. It has the UUID shape real keys have.
const DefaultAPIKey = "0f8fad5b-d9cb-469f-a165-70867728950e"

// Permission is what a sandbox API key may do.
type Permission int

const (
	// PermissionNone: the key exists but its Employee checkboxes are off.
	PermissionNone Permission = iota
	// PermissionEmployee: the key may call the Employee actions.
	PermissionEmployee
	// PermissionAllOnly: the key may read every employee
	// (GetAllEmployeeDetail) but not one by id.
	PermissionAllOnly
)

// In-band statuses and messages the sandbox answers with, as PeopleHR
// words them.
const (
	statusOK            = 0
	statusKeyMissing    = 1
	statusActionMissing = 3
	statusActionInvalid = 4
	statusValidation    = 5
	statusServerError   = 6
	statusInvalidJSON   = 9
	statusNoRecords     = 10

	msgOK              = "The request processed successfully."
	msgKeyMissing      = "APIKey is missing."
	msgKeyUnknown      = "API key does not exists."
	msgNoPermission    = "No access on employee schema."
	msgActionMissing   = "Action is missing."
	msgActionInvalid   = "Invalid action."
	msgServerError     = "Oops! Something went wrong."
	msgInvalidJSON     = "Invalid JSON."
	msgNoRecords       = "No records found."
	msgUnknownEmployee = "EmployeeId does not exists."
	msgRateLimited     = "API calls will be limited to 30 per minute"
)

const (
	actionGetAll  = "GetAllEmployeeDetail"
	actionGetByID = "GetEmployeeDetailById"

	defaultFlushEvery = 100
	maxRequestBody    = 1 << 20
)

// Options configures a Server.
type Options struct {
	// Employees is the initial directory.
	Employees []Employee
	// APIKey is a key with the Employee permission; DefaultAPIKey when
	// empty. AddKey adds more.
	APIKey string
	// LegacyHistoryKeys writes FieldHistory on every wrapped field, as
	// older payloads do, instead of the field-specific history keys.
	LegacyHistoryKeys bool
	// FlushEvery is how many records are written between flushes
	// (default 100), so clients see a big directory arrive in pieces.
	FlushEvery int
	// NotifyForm posts change notifications as form fields instead of
	// JSON (SetNotifyForm changes it).
	NotifyForm bool
	// NotifyFaults and NotifySeed set the faults played on change
	// notifications and the seed they are drawn from (SetNotifyFaults
	// changes both).
	NotifyFaults NotifyFaults
	NotifySeed   uint64
	// Logger receives failed notifications (default: discard).
	Logger *slog.Logger
}

// Server is a running sandbox. All methods are safe for concurrent use.
type Server struct {
	ts         *httptest.Server
	legacy     bool
	flushEvery int
	quit       chan struct{} // closed by Close to release hanging handlers and stop notifying
	closeOnce  sync.Once
	log        *slog.Logger
	notifyHTTP *http.Client

	sent, answered atomic.Int64 // notifications posted, and answered 2xx

	mu sync.Mutex
	// employees is replaced, never modified in place, so a handler can
	// stream the slice it read without copying it or holding the lock.
	employees []Employee
	keys      map[string]Permission
	faults    []Fault
	requests  int
	// readsAll and readsByID count the reads answered (Reads).
	readsAll, readsByID int

	listenerURL  *url.URL // nil: no listener
	notifyForm   bool
	notifyFaults NotifyFaults
	rng          *rand.Rand
	pending      int           // batches of notifications not yet done
	idle         chan struct{} // closed when pending falls to 0
	closed       bool
}

// New starts a sandbox on a free port of 127.0.0.1.
func New(opts Options) *Server {
	key := opts.APIKey
	if key == "" {
		key = DefaultAPIKey
	}
	flushEvery := opts.FlushEvery
	if flushEvery < 1 {
		flushEvery = defaultFlushEvery
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		legacy:     opts.LegacyHistoryKeys,
		flushEvery: flushEvery,
		quit:       make(chan struct{}),
		log:        logger,
		// A listener that redirects is misconfigured: its answer counts
		// as a failure rather than sending the notification elsewhere.
		notifyHTTP:   &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		employees:    slices.Clone(opts.Employees),
		keys:         map[string]Permission{key: PermissionEmployee},
		notifyForm:   opts.NotifyForm,
		notifyFaults: opts.NotifyFaults,
		rng:          newRand(opts.NotifySeed),
	}
	s.ts = httptest.NewServer(s.Handler())
	return s
}

// URL is the base URL to give the client, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.ts.URL }

// Close releases any handler held by a fault, stops notifying (a post in
// flight finishes, within its timeout; no other starts), waits for the
// notifying goroutines, and stops the server.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.quit)
	})
	s.WaitNotified()
	s.ts.Close()
}

// Handler serves the sandbox API; cmd code can mount it on an address of
// its choice while tests use URL.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// SetEmployees replaces the directory and, when a listener is set,
// notifies it of what changed without waiting for it.
func (s *Server) SetEmployees(employees []Employee) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replace(slices.Clone(employees))
}

// replace installs a directory the server owns; s.mu is held.
func (s *Server) replace(employees []Employee) {
	old := s.employees
	s.employees = employees
	s.notifyChange(old, employees)
}

// Employees returns a copy of the directory.
func (s *Server) Employees() []Employee {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.employees)
}

// Update replaces the directory with fn's result, atomically, and
// notifies as SetEmployees does. fn gets a copy it may change; it must not
// call the Server, nor keep the slice it returns.
func (s *Server) Update(fn func([]Employee) []Employee) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replace(fn(slices.Clone(s.employees)))
}

// AddKey adds or changes an API key.
func (s *Server) AddKey(key string, perm Permission) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[key] = perm
}

// Requests returns how many requests reached POST /Employee, faulty
// answers included.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Reads returns how many calls, answered without a fault by a key that
// may make them, read every employee (GetAllEmployeeDetail) and read one
// by id (GetEmployeeDetailById).
func (s *Server) Reads() (all, byID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readsAll, s.readsByID
}

func (s *Server) called(n *int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*n++
}

type request struct {
	APIKey         string   `json:"APIKey"`
	Action         string   `json:"Action"`
	IncludeLeavers flexBool `json:"IncludeLeavers"`
	EmployeeID     string   `json:"EmployeeId"`
}

// flexBool accepts a JSON boolean or a string such as "false", as PeopleHR
// does for boolean request fields.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(data, &s) == nil {
		v, err := strconv.ParseBool(s)
		*b = flexBool(v)
		return err
	}
	var v bool
	err := json.Unmarshal(data, &v)
	*b = flexBool(v)
	return err
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/Employee" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	fault := s.begin()
	if fault.Kind == FaultBOM {
		w = &bomWriter{ResponseWriter: w}
	}
	if s.answerFault(w, r, fault) {
		return
	}

	var req request
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody)).Decode(&req); err != nil {
		writeEnvelope(w, statusInvalidJSON, msgInvalidJSON, nil)
		return
	}
	// Keys match exactly, as PeopleHR's do: a key pasted with its braces
	// or spaces is unknown, so normalising it is the client's job.
	s.mu.Lock()
	perm, known := s.keys[req.APIKey]
	employees := s.employees
	s.mu.Unlock()
	switch {
	case req.APIKey == "":
		writeEnvelope(w, statusKeyMissing, msgKeyMissing, nil)
	case !known:
		writeEnvelope(w, statusValidation, msgKeyUnknown, nil)
	case perm == PermissionNone, perm == PermissionAllOnly && req.Action == actionGetByID:
		writeEnvelope(w, statusValidation, msgNoPermission, nil)
	case req.Action == "":
		writeEnvelope(w, statusActionMissing, msgActionMissing, nil)
	case req.Action == actionGetAll:
		s.called(&s.readsAll)
		s.getAll(w, r, employees, bool(req.IncludeLeavers), fault)
	case req.Action == actionGetByID:
		s.called(&s.readsByID)
		s.getByID(w, employees, req.EmployeeID)
	default:
		writeEnvelope(w, statusActionInvalid, msgActionInvalid, nil)
	}
}

// begin counts the request and takes the fault it must suffer, if any.
func (s *Server) begin() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if len(s.faults) == 0 {
		return Fault{}
	}
	f := s.faults[0]
	if s.faults[0].Times--; s.faults[0].Times == 0 {
		s.faults = s.faults[1:]
	}
	return f
}

func (s *Server) getByID(w http.ResponseWriter, employees []Employee, id string) {
	i := slices.IndexFunc(employees, func(e Employee) bool { return e.EmployeeID == id })
	if i < 0 {
		writeEnvelope(w, statusValidation, msgUnknownEmployee, nil)
		return
	}
	writeEnvelope(w, statusOK, msgOK, toWire(employees[i], s.legacy))
}

func (s *Server) getAll(w http.ResponseWriter, r *http.Request, employees []Employee, includeLeavers bool, fault Fault) {
	include := func(e Employee) bool { return includeLeavers || !e.Left() }
	total := 0
	for _, e := range employees {
		if include(e) {
			total++
		}
	}
	if total == 0 {
		writeEnvelope(w, statusNoRecords, msgNoRecords, []struct{}{})
		return
	}

	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if _, err := io.WriteString(w, `{"isError":false,"Status":0,"Message":"`+msgOK+`","Result":[`); err != nil {
		return
	}
	enc := json.NewEncoder(w)
	sent := 0
	for _, e := range employees {
		if !include(e) {
			continue
		}
		if sent > 0 {
			if _, err := io.WriteString(w, ","); err != nil {
				return
			}
		}
		rec := toWire(e, s.legacy)
		if fault.Kind == FaultTruncate && sent == total/2 {
			truncate(w, rc, rec) // does not return
		}
		if err := enc.Encode(rec); err != nil {
			return // the client went away
		}
		sent++
		switch {
		case fault.Kind == FaultSlowStream:
			_ = rc.Flush()
			if !s.pause(r, fault.slowDelay()) {
				return
			}
		case sent%s.flushEvery == 0:
			_ = rc.Flush()
		}
	}
	_, _ = io.WriteString(w, "]}")
}

// writeEnvelope writes a complete answer that is small enough to build in
// memory: in-band errors, Status 10 and single records. PeopleHR answers
// application errors with HTTP 200.
func writeEnvelope(w http.ResponseWriter, status int, message string, result any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(struct {
		IsError bool   `json:"isError"`
		Status  int    `json:"Status"`
		Message string `json:"Message"`
		Result  any    `json:"Result"`
	}{status != statusOK, status, message, result})
}
