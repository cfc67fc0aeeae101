package peoplehrtest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"time"
)

// FaultKind is a failure the sandbox can play.
type FaultKind int

const (
	// FaultHTTP5xx answers 503 with a small HTML body, as a load balancer
	// in front of PeopleHR would.
	FaultHTTP5xx FaultKind = iota + 1
	// FaultThrottle answers 429 with "Retry-After: 1".
	FaultThrottle
	// FaultInBandError answers HTTP 200 with Status 6 "Oops! Something went
	// wrong.", PeopleHR's unknown server error.
	FaultInBandError
	// FaultTimeout sends nothing for Delay, or until the client gives up
	// when Delay is zero, then drops the connection.
	FaultTimeout
	// FaultTruncate streams half of GetAllEmployeeDetail's records and part
	// of the next, then drops the connection mid-record.
	FaultTruncate
	// FaultSlowStream streams GetAllEmployeeDetail one flushed record at a
	// time with Delay (default 10ms) between records.
	FaultSlowStream
	// FaultReset closes the connection at once without an answer.
	FaultReset
	// FaultBOM writes a UTF-8 byte-order mark before the answer, which is
	// otherwise the normal one, as some Windows web stacks do.
	FaultBOM
	// FaultNotJSON answers HTTP 200 with a complete HTML page, as a
	// maintenance page or a CDN's block page would.
	FaultNotJSON
	// FaultRateLimited answers HTTP 200 with Status 5 "API calls will be
	// limited to 30 per minute", PeopleHR's in-band answer to a company
	// or IP over its call limit.
	FaultRateLimited
)

// defaultSlowDelay keeps FaultSlowStream slow without a Delay set.
const defaultSlowDelay = 10 * time.Millisecond

// maintenancePage is FaultNotJSON's body: what a PeopleHR outage page
// looks like to a client expecting JSON.
const maintenancePage = `<!DOCTYPE html>
<html><head><title>PeopleHR - Scheduled maintenance</title></head>
<body><h1>We'll be back soon</h1><p>PeopleHR is undergoing scheduled maintenance.</p></body></html>
`

// Fault is queued by InjectFault and played on the next requests.
// FaultTruncate and FaultSlowStream only change a successful
// GetAllEmployeeDetail answer, FaultBOM prefixes any answer; the other
// kinds replace any answer.
type Fault struct {
	Kind FaultKind
	// Times is how many consecutive requests suffer the fault; below 1
	// means 1.
	Times int
	// Delay is the hang of FaultTimeout or the pause of FaultSlowStream.
	Delay time.Duration
}

func (f Fault) slowDelay() time.Duration {
	if f.Delay > 0 {
		return f.Delay
	}
	return defaultSlowDelay
}

// InjectFault queues f after the faults already queued.
func (s *Server) InjectFault(f Fault) {
	f.Times = max(f.Times, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// answerFault plays the faults that replace the answer and reports whether
// it did.
func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case FaultHTTP5xx:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "<html><body><h1>503 Service Unavailable</h1></body></html>\n")
	case FaultThrottle:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many requests", http.StatusTooManyRequests)
	case FaultInBandError:
		writeEnvelope(w, statusServerError, msgServerError, nil)
	case FaultNotJSON:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, maintenancePage)
	case FaultRateLimited:
		writeEnvelope(w, statusValidation, msgRateLimited, nil)
	case FaultTimeout:
		s.pause(r, f.Delay)
		panic(http.ErrAbortHandler)
	case FaultReset:
		reset(w)
	default:
		return false
	}
	return true
}

// pause waits for d (forever when d is zero) and reports whether it
// elapsed before the client went away or the server closed.
func (s *Server) pause(r *http.Request, d time.Duration) bool {
	var elapsed <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		elapsed = t.C
	}
	select {
	case <-elapsed:
		return true
	case <-r.Context().Done():
	case <-s.quit:
	}
	return false
}

// truncate writes the first half of rec and drops the connection, so the
// client sees a body that ends mid-record.
func truncate(w http.ResponseWriter, rc *http.ResponseController, rec wireEmployee) {
	// Marshalling the wire types cannot fail.
	b, _ := json.Marshal(rec)
	_, _ = w.Write(b[:len(b)/2])
	_ = rc.Flush()
	panic(http.ErrAbortHandler)
}

// bomWriter writes a UTF-8 byte-order mark before the first byte of the
// body; headers set before that still go out.
type bomWriter struct {
	http.ResponseWriter
	wrote bool
}

func (b *bomWriter) Write(p []byte) (int, error) {
	if !b.wrote {
		b.wrote = true
		if _, err := io.WriteString(b.ResponseWriter, "\uFEFF"); err != nil {
			return 0, err
		}
	}
	return b.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the flusher underneath, so a
// BOM-prefixed directory still streams.
func (b *bomWriter) Unwrap() http.ResponseWriter { return b.ResponseWriter }

// reset closes the TCP connection with an RST, what a client sees as
// "connection reset by peer".
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
