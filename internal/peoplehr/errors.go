package peoplehr

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors callers branch on. An *Error matches at most one of them with
// errors.Is; an *Error that matches none is a failure no retry or new key
// would fix (an unexpected in-band status).
var (
	// ErrInvalidKey: PeopleHR does not know the API key (Status 1, 2, or 5
	// about the key; HTTP 401/403).
	ErrInvalidKey = errors.New("peoplehr: invalid API key")
	// ErrMissingPermission: the key is valid but may not read employees.
	ErrMissingPermission = errors.New("peoplehr: API key lacks the Employee permission")
	// ErrUnavailable: PeopleHR kept failing in ways that usually pass
	// (transport errors, timeouts, HTTP 408/5xx, Status 6, cut-off bodies)
	// until the attempts ran out.
	ErrUnavailable = errors.New("peoplehr: service unavailable")
	// ErrRateLimited: PeopleHR kept refusing calls over its rate limit
	// (about 30 a minute per company or IP: HTTP 429, or in-band Status 5
	// "API calls will be limited to ...") for as long as the client could
	// wait. The service is up; a later call will pass.
	ErrRateLimited = errors.New("peoplehr: rate limited")
	// ErrMalformed: PeopleHR answered with a complete body that is not
	// JSON, or not its envelope (an HTML page from a proxy, a changed
	// format). Retrying at once would get the same answer.
	ErrMalformed = errors.New("peoplehr: malformed response")
	// ErrEmployeeNotFound: FetchEmployee asked for an employee PeopleHR
	// does not know (Status 5 "EmployeeId does not exists.", Status 10,
	// or an empty Result). The sync treats the employee as deleted.
	ErrEmployeeNotFound = errors.New("peoplehr: employee not found")
)

// PeopleHR's in-band statuses that change what the client does; the others
// only travel inside an *Error.
const (
	statusOK          = 0
	statusKeyMissing  = 1
	statusKeyInvalid  = 2
	statusValidation  = 5
	statusServerError = 6
	statusNoRecords   = 10
)

// maxMessageLen bounds how much of PeopleHR's own message is kept, so a
// misbehaving server cannot flood logs through an error string.
const maxMessageLen = 300

// Error is a failed call to PeopleHR.
type Error struct {
	// Status is PeopleHR's in-band status when an envelope was read.
	Status int
	// Message is what PeopleHR said in the envelope, if anything.
	Message string
	// HTTPStatus is the HTTP status of the last response, 0 when none came.
	HTTPStatus int
	// Attempts is how many requests were made before giving up.
	Attempts int
	// Waited is how long the call waited for PeopleHR's rate limit to
	// lift, in all.
	Waited time.Duration
	// Err is the underlying cause when it was not PeopleHR's own answer
	// (transport error, timeout, malformed body).
	Err error

	kind       error         // one of the sentinels, or nil
	retryAfter time.Duration // the server's Retry-After, 0 when absent
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("peoplehr: ")
	switch {
	case e.kind == ErrInvalidKey:
		b.WriteString("PeopleHR rejected the API key")
	case e.kind == ErrMissingPermission:
		b.WriteString(`the API key is not allowed to read employees (it needs the Employee "Get All Employee Detail" permission)`)
	case e.kind == ErrUnavailable:
		b.WriteString("PeopleHR is unavailable")
	case e.kind == ErrRateLimited:
		b.WriteString("PeopleHR is limiting API calls for this company (about 30 a minute)")
	case e.kind == ErrMalformed:
		b.WriteString("PeopleHR sent a malformed response")
	case e.kind == ErrEmployeeNotFound:
		b.WriteString("PeopleHR has no employee with this ID")
	default:
		b.WriteString("PeopleHR request failed")
	}
	switch {
	case e.kind == ErrRateLimited:
		// How long it waited says more than how many requests it made.
		if waited := e.Waited; waited > 0 {
			if waited >= time.Second {
				waited = waited.Round(time.Second) // the jitter's digits say nothing
			}
			fmt.Fprintf(&b, " and was still limiting them after waiting %s", waited)
		}
	case e.Attempts > 1:
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.Status != statusOK || e.Message != "" {
		fmt.Fprintf(&b, ": PeopleHR status %d %q", e.Status, e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap exposes the underlying cause, e.g. context.DeadlineExceeded.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel the failure was classified as.
func (e *Error) Is(target error) bool { return e.kind != nil && target == e.kind }

// retryable reports whether another attempt may succeed.
func (e *Error) retryable() bool { return e.kind == ErrUnavailable }

// statusKind classifies an in-band error status. PeopleHR reuses Status 5
// for key, permission, validation and rate-limit errors alike, so the
// message decides. The rate limit is checked first, whatever the status:
// its wording may mention the API key, and a throttle taken for a bad key
// would have the admin replace a good one.
func statusKind(status int, message string) error {
	if rateLimitMessage(message) {
		return ErrRateLimited
	}
	switch status {
	case statusKeyMissing, statusKeyInvalid:
		return ErrInvalidKey
	case statusServerError:
		return ErrUnavailable
	case statusValidation:
		m := strings.ToLower(message)
		switch {
		case strings.Contains(m, "api key"), strings.Contains(m, "apikey"):
			return ErrInvalidKey
		case strings.Contains(m, "access"), strings.Contains(m, "permission"):
			return ErrMissingPermission
		}
	}
	return nil
}

// rateLimitMessage reports whether PeopleHR's message is about its call
// limit. Only "API calls will be limited to a N per minute" has been seen,
// reportedly, so other plausible wordings count too; "limited to" and "too
// many" only about calls or requests, as a permission message may say
// "access is limited to ...".
func rateLimitMessage(message string) bool {
	m := strings.ToLower(message)
	aboutCalls := strings.Contains(m, "call") || strings.Contains(m, "request")
	return strings.Contains(m, "rate limit") || strings.Contains(m, "per minute") ||
		aboutCalls && (strings.Contains(m, "limited to") || strings.Contains(m, "too many"))
}

// employeeUnknownMessage reports whether an in-band error says the
// requested employee does not exist, as opposed to an ID PeopleHR refused
// ("EmployeeId contains invalid data.", "... cannot be empty."). It is
// only asked about FetchEmployee: FetchAll names no employee.
func employeeUnknownMessage(status int, message string) bool {
	m := strings.ToLower(message)
	return status == statusValidation && strings.Contains(m, "employee") &&
		(strings.Contains(m, "does not exist") || strings.Contains(m, "not found"))
}

// httpKind classifies a non-200 HTTP status.
func httpKind(code int) error {
	switch {
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		return ErrInvalidKey
	case code == http.StatusTooManyRequests:
		return ErrRateLimited
	case code == http.StatusRequestTimeout, code >= 500:
		return ErrUnavailable
	}
	return nil
}

// sanitize keeps PeopleHR's message safe to log: the key is cut out in case
// a server echoes the request, and the length is bounded.
func sanitize(message, apiKey string) string {
	if apiKey != "" {
		message = strings.ReplaceAll(message, apiKey, "[redacted]")
	}
	if len(message) <= maxMessageLen {
		return message
	}
	cut := maxMessageLen
	for cut > 0 && !utf8.RuneStart(message[cut]) {
		cut--
	}
	return message[:cut] + "…"
}
