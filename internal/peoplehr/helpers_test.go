package peoplehr_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

const testKey = "3f2b8c1e-9d4a-4e7b-8c6d-5a1f0e2d3c4b"

// sentinels are the errors callers branch on; an *Error matches at most one.
var sentinels = []error{peoplehr.ErrInvalidKey, peoplehr.ErrMissingPermission, peoplehr.ErrRateLimited, peoplehr.ErrUnavailable, peoplehr.ErrMalformed, peoplehr.ErrEmployeeNotFound}

// response is one canned HTTP answer.
type response struct {
	code    int
	header  map[string]string
	body    string
	handler http.HandlerFunc // overrides the fields above when set
}

func ok(body string) response { return response{code: http.StatusOK, body: body} }

// cannedServer answers the i-th request with responses[i], repeating the
// last one, and counts requests.
type cannedServer struct {
	*httptest.Server
	requests atomic.Int32
}

func newCannedServer(t *testing.T, responses ...response) *cannedServer {
	t.Helper()
	s := &cannedServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(s.requests.Add(1)) - 1
		resp := responses[min(i, len(responses)-1)]
		if resp.handler != nil {
			resp.handler(w, r)
			return
		}
		for k, v := range resp.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.code)
		_, _ = io.WriteString(w, resp.body)
	}))
	t.Cleanup(s.Close)
	return s
}

// sleeps records the waits between attempts instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newClient returns a client with a recording sleep and a short attempt
// timeout so that no test waits long.
func newClient(baseURL string, opts ...peoplehr.Option) (*peoplehr.Client, *sleeps) {
	s := &sleeps{}
	all := append([]peoplehr.Option{
		peoplehr.WithSleep(s.sleep),
		peoplehr.WithAttemptTimeout(5 * time.Second),
	}, opts...)
	return peoplehr.New(baseURL, all...), s
}

// fetch collects the records of the last attempt and counts attempts.
type fetch struct {
	records []map[string]string
	starts  int
}

func (f *fetch) start() func(map[string]string) error {
	f.starts++
	f.records = nil
	return func(rec map[string]string) error {
		f.records = append(f.records, rec)
		return nil
	}
}

func fetchAll(t *testing.T, c *peoplehr.Client) (*fetch, int, error) {
	t.Helper()
	f := &fetch{}
	n, err := c.FetchAll(context.Background(), testKey, f.start)
	return f, n, err
}

// assertNoBank fails when any record carries a BankDetail key or any of the
// given bank values, whole or as part of another value.
func assertNoBank(t *testing.T, records []map[string]string, bankValues ...string) {
	t.Helper()
	for i, rec := range records {
		for k, v := range rec {
			if strings.HasPrefix(strings.ToLower(k), "bankdetail") {
				t.Errorf("record %d has bank key %q", i, k)
			}
			for _, bank := range bankValues {
				if bank != "" && strings.Contains(v, bank) {
					t.Errorf("record %d: %s=%q leaks bank value %q", i, k, v, bank)
				}
			}
		}
	}
}
