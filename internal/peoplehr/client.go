package peoplehr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	defaultAttemptTimeout = 60 * time.Second
	defaultMaxAttempts    = 4
	defaultBackoffBase    = 500 * time.Millisecond
	defaultBackoffMax     = 8 * time.Second

	// PeopleHR counts its rate limit per minute, so a throttled call waits
	// about that long, a few times, before giving up.
	defaultThrottleWait     = time.Minute
	defaultMaxThrottleWaits = 5
	// maxThrottleWait caps a Retry-After on a throttle: a longer ask
	// than PeopleHR's window is a server misbehaving.
	maxThrottleWait = time.Minute
	// throttleMargin is kept free of throttle waits before a call's
	// deadline, for the request that follows the wait.
	throttleMargin = 10 * time.Second

	actionGetAllEmployeeDetail  = "GetAllEmployeeDetail"
	actionGetEmployeeDetailByID = "GetEmployeeDetailById"

	// drainLimit bounds how much of an error response is read so the
	// connection can be reused without trusting the server's body size.
	drainLimit = 64 << 10
)

// Client calls one PeopleHR instance. It is safe for concurrent use; the
// API key is passed per call because one client serves many tenants.
type Client struct {
	endpoint       string
	http           *http.Client
	attemptTimeout time.Duration
	maxAttempts    int
	backoffBase    time.Duration
	backoffMax     time.Duration
	throttleWait   time.Duration
	maxWaits       int
	log            *slog.Logger
	sleep          func(context.Context, time.Duration) error
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client. Its own Timeout should be zero: the
// per-attempt timeout already bounds each call. Its CheckRedirect is
// replaced: the client never follows a redirect (see refuseRedirect).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithAttemptTimeout bounds one attempt, from sending the request to reading
// the last byte of the streamed body (default 60s). Non-positive values are
// ignored.
func WithAttemptTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.attemptTimeout = d
		}
	}
}

// WithMaxAttempts sets how many requests one call may make when they fail
// in ways that usually pass (default 4, at least 1). Requests refused by
// the rate limit are not counted: WithThrottle bounds those.
func WithMaxAttempts(n int) Option {
	return func(c *Client) { c.maxAttempts = max(n, 1) }
}

// WithBackoff sets the exponential backoff between attempts: the ceiling
// starts at base and doubles up to limit; each wait is drawn uniformly below
// it (full jitter) so that many tenants retrying at once spread out.
func WithBackoff(base, limit time.Duration) Option {
	return func(c *Client) { c.backoffBase, c.backoffMax = base, limit }
}

// WithThrottle sets how a call waits out PeopleHR's rate limit: wait is
// the pause when the answer gives no Retry-After (default one minute,
// PeopleHR's window; non-positive keeps it), and maxWaits how many pauses
// one call may take before it fails with ErrRateLimited (default 5, 0 to
// fail at once). Each pause gets up to a tenth more, at random, so that
// callers throttled together do not all come back in the same second.
func WithThrottle(wait time.Duration, maxWaits int) Option {
	return func(c *Client) {
		if wait > 0 {
			c.throttleWait = wait
		}
		c.maxWaits = max(maxWaits, 0)
	}
}

// WithLogger sets the logger (default: discard). Lines carry the action,
// attempt number, statuses and durations, never the key or a record.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) {
		if l != nil {
			c.log = l
		}
	}
}

// WithSleep replaces the wait between attempts, so tests can record the
// delays instead of waiting. sleep must return early with the context's
// error when it is done.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) {
		if sleep != nil {
			c.sleep = sleep
		}
	}
}

// New returns a client for the PeopleHR instance at baseURL, e.g.
// "https://api.peoplehr.net".
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		endpoint:       strings.TrimRight(baseURL, "/") + "/Employee",
		http:           &http.Client{},
		attemptTimeout: defaultAttemptTimeout,
		maxAttempts:    defaultMaxAttempts,
		backoffBase:    defaultBackoffBase,
		backoffMax:     defaultBackoffMax,
		throttleWait:   defaultThrottleWait,
		maxWaits:       defaultMaxThrottleWaits,
		log:            slog.New(slog.DiscardHandler),
		sleep:          sleepCtx,
	}
	for _, opt := range opts {
		opt(c)
	}
	// A copy, so the caller's client keeps its own redirect policy.
	hc := *c.http
	hc.CheckRedirect = refuseRedirect
	c.http = &hc
	return c
}

// refuseRedirect stops at the first redirect. The API key travels in the
// POST body, and Go re-sends that body to wherever a 307 or 308 points:
// a redirect from a compromised or misconfigured base URL would hand the
// key to another host. PeopleHR's API never redirects, so the 3xx itself
// is the answer and attempt turns it into an error.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// errRedirected is the cause of a 3xx answer. It is not retried (the same
// request would be redirected again) and names neither the target nor
// anything the server said.
var errRedirected = errors.New("PeopleHR answered with a redirect, which is never followed (the API key would go with it): check the PeopleHR base URL")

type getAllRequest struct {
	APIKey         string `json:"APIKey"`
	Action         string `json:"Action"`
	IncludeLeavers bool   `json:"IncludeLeavers"`
}

// FetchAll streams every employee, leavers included, to a record func.
// start is called at the beginning of every attempt and returns the func
// that receives that attempt's records, so a retry after a cut-off body
// starts the consumer afresh; only the records of the last attempt, which
// succeeded when the error is nil, count. Each record is a fresh map the
// func may keep.
//
// A throttled call waits and tries again, but never starts a wait that
// would end after the context's deadline: it fails at once instead, so a
// caller with a short budget hears "rate limited" rather than a timeout.
//
// It returns the number of records delivered by the successful attempt. On
// failure the error is an *Error matching ErrInvalidKey,
// ErrMissingPermission, ErrRateLimited, ErrUnavailable, ErrMalformed or
// none of them;
// the record func's own error, wrapped; or the context's error.
func (c *Client) FetchAll(ctx context.Context, apiKey string, start func() func(rec map[string]string) error) (int, error) {
	// Marshalling strings and a bool cannot fail.
	body, _ := json.Marshal(getAllRequest{APIKey: apiKey, Action: actionGetAllEmployeeDetail, IncludeLeavers: true})
	return c.call(ctx, apiKey, actionGetAllEmployeeDetail, body, start)
}

// call makes one logical call of action, retrying and waiting out the rate
// limit as FetchAll describes, and returns what FetchAll returns.
func (c *Client) call(ctx context.Context, apiKey, action string, body []byte, start func() func(rec map[string]string) error) (int, error) {
	var spent retries
	for attempt := 1; ; attempt++ {
		began := time.Now()
		n, err := c.attempt(ctx, body, start())
		attrs := []slog.Attr{
			slog.String("action", action),
			slog.Int("attempt", attempt),
			slog.Duration("duration", time.Since(began)),
		}
		if err == nil {
			c.log.LogAttrs(ctx, slog.LevelInfo, "peoplehr: employees fetched", append(attrs, slog.Int("records", n))...)
			return n, nil
		}
		perr, ok := err.(*Error)
		if !ok {
			return 0, err
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("peoplehr: calling %s: %w", action, context.Cause(ctx))
		}
		perr.Attempts, perr.Waited = attempt, spent.throttled
		delay, again := c.next(ctx, perr, &spent)
		perr.Message = sanitize(perr.Message, apiKey)
		attrs = append(attrs,
			slog.Int("http_status", perr.HTTPStatus),
			slog.Int("status", perr.Status),
			slog.String("error", perr.Error()))
		if !again {
			c.log.LogAttrs(ctx, slog.LevelWarn, "peoplehr: request failed", attrs...)
			return 0, perr
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "peoplehr: request failed, retrying", append(attrs, slog.Duration("retry_in", delay))...)
		if err := c.sleep(ctx, delay); err != nil {
			return 0, fmt.Errorf("peoplehr: waiting to retry: %w", err)
		}
	}
}

// CountEmployees returns how many employees, leavers included, the key can
// read. Setup uses it to check a key: it fails the same way FetchAll does.
func (c *Client) CountEmployees(ctx context.Context, apiKey string) (int, error) {
	discard := func(map[string]string) error { return nil }
	return c.FetchAll(ctx, apiKey, func() func(map[string]string) error { return discard })
}

// attempt makes one request. Its error is nil, an *Error, or the record
// func's error wrapped in a *recordError.
func (c *Client) attempt(ctx context.Context, body []byte, deliver func(map[string]string) error) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, &Error{Err: fmt.Errorf("building request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, c.unavailable(ctx, 0, fmt.Errorf("sending request: %w", err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		return 0, &Error{HTTPStatus: resp.StatusCode, Err: errRedirected}
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		return 0, &Error{
			HTTPStatus: resp.StatusCode,
			kind:       httpKind(resp.StatusCode),
			retryAfter: parseRetryAfter(resp.Header.Get("Retry-After")),
		}
	}
	env, n, err := decodeResponse(resp.Body, deliver)
	var recErr *recordError
	var malformed *malformedError
	switch {
	case errors.As(err, &recErr):
		return n, recErr
	case errors.As(err, &malformed):
		return n, &Error{HTTPStatus: resp.StatusCode, Err: withMediaType(malformed, resp.Header.Get("Content-Type")), kind: ErrMalformed}
	case err != nil:
		return n, c.unavailable(ctx, resp.StatusCode, fmt.Errorf("reading response: %w", err))
	}
	return n, envelopeError(env)
}

// unavailable wraps a transport or body failure, naming the timeout when
// the attempt ran out of time so the cause reads in plain words.
func (c *Client) unavailable(ctx context.Context, httpStatus int, err error) *Error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("no complete response within %s: %w", c.attemptTimeout, err)
	}
	return &Error{HTTPStatus: httpStatus, Err: err, kind: ErrUnavailable}
}

// withMediaType names the media type of a malformed body when it is not
// JSON, so that an HTML page from a proxy or a maintenance window reads as
// one. Parameters are dropped and an odd header is left out.
func withMediaType(e *malformedError, contentType string) *malformedError {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || len(mt) > 64 || mt == "application/json" {
		return e
	}
	return &malformedError{fmt.Sprintf("%s (Content-Type %s)", e.what, mt)}
}

// envelopeError turns a fully read envelope into the call's outcome.
func envelopeError(env envelope) error {
	switch {
	case !env.hasStatus && !env.hasIsError:
		return &Error{HTTPStatus: http.StatusOK, Err: &malformedError{"no Status in the response"}, kind: ErrMalformed}
	case env.status == statusNoRecords:
		return nil
	case env.status == statusOK && !env.isError:
		if env.oddResult {
			return &Error{HTTPStatus: http.StatusOK, Err: &malformedError{"Result holds something other than employee records"}, kind: ErrMalformed}
		}
		return nil
	}
	return &Error{
		HTTPStatus: http.StatusOK,
		Status:     env.status,
		Message:    env.message,
		kind:       statusKind(env.status, env.message),
	}
}

// retries is what one call has spent on failed attempts so far. Throttles
// are counted apart from other failures: waiting out a rate limit says
// nothing about whether PeopleHR is up.
type retries struct {
	failures  int           // failed attempts other than throttles
	waits     int           // throttle waits
	throttled time.Duration // the time those waits took
}

// next returns the wait before another attempt after perr, and false when
// the call must give up instead.
func (c *Client) next(ctx context.Context, perr *Error, spent *retries) (time.Duration, bool) {
	if perr.kind == ErrRateLimited {
		delay := c.throttleDelay(perr.retryAfter)
		if spent.waits >= c.maxWaits || !endsBeforeDeadline(ctx, delay) {
			return 0, false
		}
		spent.waits++
		spent.throttled += delay
		return delay, true
	}
	spent.failures++
	if !perr.retryable() || spent.failures >= c.maxAttempts {
		return 0, false
	}
	return c.backoff(spent.failures, perr.retryAfter), true
}

// throttleDelay is the wait before trying again after a throttle: what
// the server asked for, capped, or PeopleHR's window, plus jitter that
// only ever lengthens it.
func (c *Client) throttleDelay(retryAfter time.Duration) time.Duration {
	delay := c.throttleWait
	if retryAfter > 0 {
		delay = min(retryAfter, maxThrottleWait)
	}
	if jitter := delay / 10; jitter > 0 {
		delay += rand.N(jitter)
	}
	return delay
}

// endsBeforeDeadline reports whether a wait of d leaves the call time for
// one more request before its context's deadline.
func endsBeforeDeadline(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline)-throttleMargin >= d
}

// backoff returns the wait after the given failed attempt, throttles not
// counted. A server's Retry-After wins, capped so one answer cannot stall
// a run.
func (c *Client) backoff(failures int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.backoffMax)
	}
	ceiling := c.backoffBase
	for i := 1; i < failures && ceiling < c.backoffMax; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.backoffMax)
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling)
}

// parseRetryAfter reads the delay-seconds form of Retry-After; the
// HTTP-date form and garbage count as absent.
func parseRetryAfter(v string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || secs <= 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
