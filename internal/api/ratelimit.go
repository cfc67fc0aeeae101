package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/peoplesync/peoplesync/internal/auth"
	"github.com/peoplesync/peoplesync/internal/ratelimit"
)

// TokenTaker takes a token from a tenant's bucket for a limit: 0 when
// there was one, else how long until there is (the table's buckets,
// dynamo.Store.TakeToken).
type TokenTaker interface {
	TakeToken(ctx context.Context, tenant string, l ratelimit.Limit) (time.Duration, error)
}

// Limits are each tenant's allowances, one bucket per class, so a tenant
// saving or importing in a loop never empties the bucket its console reads
// from (the dashboard and a progress bar polling every second or two).
type Limits struct {
	// Read is for GET requests: cheap, and what a console page makes a few
	// of at once.
	Read ratelimit.Limit
	// Write is for every other method: saves, key checks against PeopleHR,
	// imports.
	Write ratelimit.Limit
	// Hooks is for PeopleHR's change notifications to the tenant's
	// listener: a bulk edit in PeopleHR sends hundreds at once, each cheap
	// (one job per window, deduplicated by the queue).
	Hooks ratelimit.Limit
}

// DefaultLimits keep any one tenant to a fifth of the stage's 25 requests
// a second for reads and a twenty-fifth for writes, with bursts that cover
// a page load (about 5 reads) or a wizard step (2 writes) many times over.
var DefaultLimits = Limits{
	Read:  ratelimit.Limit{Name: "read", Rate: 5, Burst: 20},
	Write: ratelimit.Limit{Name: "write", Rate: 1, Burst: 10},
	Hooks: ratelimit.Limit{Name: "hooks", Rate: 20, Burst: 300},
}

// ParseLimits reads limits written "read=<rate>/<burst> write=<rate>/<burst>
// [hooks=<rate>/<burst>]" (TENANT_RATE_LIMITS), read and write required,
// hooks the default when left out, rate and burst positive whole numbers.
func ParseLimits(s string) (Limits, error) {
	l := Limits{Hooks: DefaultLimits.Hooks}
	seen := map[string]*ratelimit.Limit{"read": &l.Read, "write": &l.Write, "hooks": &l.Hooks}
	for _, f := range strings.Fields(s) {
		name, spec, _ := strings.Cut(f, "=")
		rate, burst, _ := strings.Cut(spec, "/")
		dst, ok := seen[name]
		if !ok {
			return Limits{}, fmt.Errorf("rate limits %q: %q is not read, write or hooks, or given twice", s, name)
		}
		r, rerr := strconv.ParseInt(rate, 10, 64)
		b, berr := strconv.ParseInt(burst, 10, 64)
		if rerr != nil || berr != nil || r < 1 || b < 1 {
			return Limits{}, fmt.Errorf("rate limits %q: %q wants <rate>/<burst>, both positive whole numbers", s, f)
		}
		*dst = ratelimit.Limit{Name: name, Rate: r, Burst: b}
		delete(seen, name)
	}
	delete(seen, "hooks")
	if len(seen) > 0 {
		return Limits{}, fmt.Errorf("rate limits %q: read and write are both required", s)
	}
	return l, nil
}

// WithRateLimits limits each tenant's requests with buckets that t keeps.
func WithRateLimits(t TokenTaker, l Limits) Option {
	return func(s *Server) { s.tokens, s.limits = t, l }
}

// throttle answers 429 rate_limited when the caller's tenant has no token
// left for the request's class, and nil to go on. A table that cannot be
// read lets the request through (fail open): the limit protects tenants
// from each other, not data, so an outage of the buckets should not become
// an outage of the API; the stage's own throttle still caps the whole,
// and the error line raises the API's error alarm.
func (s *Server) throttle(r *http.Request, p auth.Principal) error {
	l := s.limits.Write
	if r.Method == http.MethodGet {
		l = s.limits.Read
	}
	return s.take(r, p.TenantID, l)
}

// take takes a token of limit l from tenant's bucket: nil to go on.
func (s *Server) take(r *http.Request, tenant string, l ratelimit.Limit) error {
	if s.tokens == nil {
		return nil
	}
	wait, err := s.tokens.TakeToken(r.Context(), tenant, l)
	if err != nil {
		s.log.Error("rate limit unavailable: request let through", "requestId", requestID(r), "tenantId", tenant, "error", err)
		return nil
	}
	if wait == 0 {
		return nil
	}
	after := ratelimit.RetryAfter(wait)
	// template.yaml's TenantThrottledAlarm counts these lines.
	s.log.Warn("tenant throttled", "requestId", requestID(r), "tenantId", tenant, "limit", l.Name, "retryAfter", after)
	return &Error{Status: http.StatusTooManyRequests, RetryAfter: after, Code: "rate_limited",
		Message: fmt.Sprintf("Too many requests from your organisation: try again in %d s.", after)}
}
