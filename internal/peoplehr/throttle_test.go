package peoplehr_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

// checkThrottleWaits fails unless each wait is its base plus the jitter:
// never shorter than asked, at most a tenth longer.
func checkThrottleWaits(t *testing.T, waits, bases []time.Duration) {
	t.Helper()
	if len(waits) != len(bases) {
		t.Fatalf("waits = %v, want %d", waits, len(bases))
	}
	for i, w := range waits {
		if w < bases[i] || w >= bases[i]+bases[i]/10 {
			t.Errorf("wait %d = %v, want in [%v, %v)", i, w, bases[i], bases[i]+bases[i]/10)
		}
	}
}

// A rate limit is waited out, for about PeopleHR's one-minute window or
// what the server asks, and the call then succeeds.
func TestFetchAllWaitsOutThrottling(t *testing.T) {
	employees := peoplehrtest.Generate(40, 3, today)
	tests := []struct {
		name   string
		faults []peoplehrtest.Fault
		opts   []peoplehr.Option
		waits  []time.Duration
	}{
		{"in-band Status 5 rate limit", []peoplehrtest.Fault{{Kind: peoplehrtest.FaultRateLimited, Times: 2}}, nil,
			[]time.Duration{time.Minute, time.Minute}},
		{"HTTP 429 with Retry-After", []peoplehrtest.Fault{{Kind: peoplehrtest.FaultThrottle, Times: 2}}, nil,
			[]time.Duration{time.Second, time.Second}},
		{"in-band, then HTTP 429", []peoplehrtest.Fault{{Kind: peoplehrtest.FaultRateLimited}, {Kind: peoplehrtest.FaultThrottle}}, nil,
			[]time.Duration{time.Minute, time.Second}},
		{"more throttles than attempts", []peoplehrtest.Fault{{Kind: peoplehrtest.FaultThrottle, Times: 4}}, []peoplehr.Option{peoplehr.WithMaxAttempts(1)},
			[]time.Duration{time.Second, time.Second, time.Second, time.Second}},
		{"wait set by WithThrottle", []peoplehrtest.Fault{{Kind: peoplehrtest.FaultRateLimited}}, []peoplehr.Option{peoplehr.WithThrottle(5*time.Second, 1)},
			[]time.Duration{5 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := peoplehrtest.New(peoplehrtest.Options{Employees: employees, APIKey: testKey})
			t.Cleanup(sb.Close)
			for _, f := range tt.faults {
				sb.InjectFault(f)
			}
			c, sl := newClient(sb.URL(), tt.opts...)
			f, n, err := fetchAll(t, c)
			if err != nil {
				t.Fatalf("FetchAll: %v", err)
			}
			if n != len(employees) || len(f.records) != len(employees) {
				t.Errorf("n=%d, %d records, want %d", n, len(f.records), len(employees))
			}
			if want := len(tt.waits) + 1; sb.Requests() != want || f.starts != want {
				t.Errorf("requests=%d starts=%d, want %d", sb.Requests(), f.starts, want)
			}
			checkThrottleWaits(t, sl.all(), tt.waits)
		})
	}
}

// A 429's Retry-After sets the wait, within PeopleHR's one-minute window.
func TestThrottleWaitFollowsRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"none", "", time.Minute},
		{"seconds", "7", 7 * time.Second},
		{"over a minute is capped", "600", time.Minute},
		{"an HTTP date counts as none", "Wed, 21 Oct 2026 07:28:00 GMT", time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			throttled := response{code: http.StatusTooManyRequests}
			if tt.retryAfter != "" {
				throttled.header = map[string]string{"Retry-After": tt.retryAfter}
			}
			srv := newCannedServer(t, throttled, ok(twoRecords))
			c, sl := newClient(srv.URL)
			if _, n, err := fetchAll(t, c); err != nil || n != 2 {
				t.Fatalf("FetchAll = %d, %v", n, err)
			}
			checkThrottleWaits(t, sl.all(), []time.Duration{tt.want})
		})
	}
}

// Throttles do not spend the attempts meant for outages, nor push their
// backoff up.
func TestThrottlesAndOutagesAreCountedApart(t *testing.T) {
	throttled := response{code: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "1"}}
	down := response{code: http.StatusServiceUnavailable}
	srv := newCannedServer(t, throttled, down, throttled, down, ok(twoRecords))
	c, sl := newClient(srv.URL, peoplehr.WithMaxAttempts(3), peoplehr.WithBackoff(time.Second, 8*time.Second))
	if _, n, err := fetchAll(t, c); err != nil || n != 2 {
		t.Fatalf("FetchAll = %d, %v", n, err)
	}
	waits := sl.all()
	if len(waits) != 4 || srv.requests.Load() != 5 {
		t.Fatalf("waits = %v, requests = %d, want 4 and 5", waits, srv.requests.Load())
	}
	checkThrottleWaits(t, []time.Duration{waits[0], waits[2]}, []time.Duration{time.Second, time.Second})
	// The second outage is the second failure: its ceiling is 2s, not 8s.
	if waits[1] >= time.Second || waits[3] >= 2*time.Second {
		t.Errorf("outage waits %v and %v, want below 1s and 2s", waits[1], waits[3])
	}
}

// A limit still in force after the last wait is ErrRateLimited, in words
// that say how long the call waited.
func TestFetchAllRateLimitPersists(t *testing.T) {
	tests := []struct {
		name      string
		fault     peoplehrtest.FaultKind
		opts      []peoplehr.Option
		waits     int
		base      time.Duration
		wantTexts []string
	}{
		{"in-band, the default five waits", peoplehrtest.FaultRateLimited, nil, 5, time.Minute, []string{
			"peoplehr: PeopleHR is limiting API calls for this company (about 30 a minute) and was still limiting them after waiting 5m",
			`PeopleHR status 5 "API calls will be limited to 30 per minute"`}},
		{"HTTP 429, two waits", peoplehrtest.FaultThrottle, []peoplehr.Option{peoplehr.WithThrottle(time.Minute, 2)}, 2, time.Second, []string{
			"peoplehr: PeopleHR is limiting API calls for this company (about 30 a minute) and was still limiting them after waiting 2s (HTTP 429)"}},
		{"no waits allowed", peoplehrtest.FaultRateLimited, []peoplehr.Option{peoplehr.WithThrottle(time.Minute, 0)}, 0, time.Minute, []string{
			`peoplehr: PeopleHR is limiting API calls for this company (about 30 a minute): PeopleHR status 5`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := peoplehrtest.New(peoplehrtest.Options{Employees: peoplehrtest.Generate(5, 1, today), APIKey: testKey})
			t.Cleanup(sb.Close)
			sb.InjectFault(peoplehrtest.Fault{Kind: tt.fault, Times: 100})
			c, sl := newClient(sb.URL(), tt.opts...)
			_, _, err := fetchAll(t, c)
			for _, sentinel := range sentinels {
				if got := errors.Is(err, sentinel); got != (sentinel == peoplehr.ErrRateLimited) {
					t.Errorf("errors.Is(%v, %v) = %v", err, sentinel, got)
				}
			}
			var perr *peoplehr.Error
			if !errors.As(err, &perr) {
				t.Fatalf("err = %v, want *peoplehr.Error", err)
			}
			bases := make([]time.Duration, tt.waits)
			for i := range bases {
				bases[i] = tt.base
			}
			waits := sl.all()
			checkThrottleWaits(t, waits, bases)
			var total time.Duration
			for _, w := range waits {
				total += w
			}
			if perr.Waited != total || perr.Attempts != tt.waits+1 || sb.Requests() != tt.waits+1 {
				t.Errorf("Waited=%v Attempts=%d requests=%d, want %v and %d", perr.Waited, perr.Attempts, sb.Requests(), total, tt.waits+1)
			}
			for _, want := range tt.wantTexts {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err %q does not say %q", err, want)
				}
			}
		})
	}
}

// A call never starts a wait it cannot finish before its deadline, with
// time to spare for the request after it: it fails at once, rate limited,
// rather than run into a timeout.
func TestThrottleWaitsOnlyBeforeTheDeadline(t *testing.T) {
	tests := []struct {
		name     string
		fault    peoplehrtest.FaultKind
		timeout  time.Duration
		wantWait bool
	}{
		{"a minute's wait, 30s left", peoplehrtest.FaultRateLimited, 30 * time.Second, false},
		{"a second's wait, 30s left", peoplehrtest.FaultThrottle, 30 * time.Second, true},
		{"a second's wait, less than the margin left after it", peoplehrtest.FaultThrottle, 10500 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := peoplehrtest.New(peoplehrtest.Options{Employees: peoplehrtest.Generate(5, 1, today), APIKey: testKey})
			t.Cleanup(sb.Close)
			sb.InjectFault(peoplehrtest.Fault{Kind: tt.fault})
			c, sl := newClient(sb.URL())
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			began := time.Now()
			n, err := c.CountEmployees(ctx, testKey)
			if took := time.Since(began); took > time.Second {
				t.Errorf("took %v", took)
			}
			if tt.wantWait {
				if err != nil || n != 5 || len(sl.all()) != 1 || sb.Requests() != 2 {
					t.Errorf("n=%d err=%v waits=%v requests=%d, want a wait and then the records", n, err, sl.all(), sb.Requests())
				}
				return
			}
			if !errors.Is(err, peoplehr.ErrRateLimited) || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want ErrRateLimited and no timeout", err)
			}
			if len(sl.all()) != 0 || sb.Requests() != 1 {
				t.Errorf("waits=%v requests=%d, want no wait and one request", sl.all(), sb.Requests())
			}
		})
	}
}

// PeopleHR's rate limit comes back as Status 5, the status of key and
// permission errors too: its wording is told apart from theirs, so that a
// throttled admin is not told the key is bad.
func TestRateLimitMessages(t *testing.T) {
	tests := []struct {
		status  int
		message string
		want    error
	}{
		{5, "API calls will be limited to 30 per minute", peoplehr.ErrRateLimited},
		{5, "API calls will be limited to a 30 per minute.", peoplehr.ErrRateLimited},
		{5, "API calls for this API key are limited to 30 per minute", peoplehr.ErrRateLimited},
		{5, "Your API key has made too many calls.", peoplehr.ErrRateLimited},
		{5, "Rate limit exceeded.", peoplehr.ErrRateLimited},
		{5, "TOO MANY REQUESTS", peoplehr.ErrRateLimited},
		{6, "Too many requests, try again later.", peoplehr.ErrRateLimited},
		{5, "API key does not exists.", peoplehr.ErrInvalidKey},
		{5, "Access is limited to administrators.", peoplehr.ErrMissingPermission},
		{5, "Access Denied.", peoplehr.ErrMissingPermission},
		{5, "Too many employees selected.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.message, func(t *testing.T) {
			srv := newCannedServer(t, ok(envelope(tt.status, tt.message)))
			c, _ := newClient(srv.URL, peoplehr.WithThrottle(time.Minute, 0))
			_, _, err := fetchAll(t, c)
			if err == nil {
				t.Fatal("FetchAll succeeded")
			}
			for _, sentinel := range sentinels {
				if got := errors.Is(err, sentinel); got != (sentinel == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, sentinel, got)
				}
			}
		})
	}
}
