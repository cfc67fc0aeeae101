package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
	"github.com/peoplesync/peoplesync/internal/engine"
	"github.com/peoplesync/peoplesync/internal/integration"
	"github.com/peoplesync/peoplesync/internal/peoplehr"
)

// Today is the date every generated feed and every run is judged on.
var Today = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// Seed makes every generated directory the same from run to run.
const Seed = 8

// Employees is a generated directory of n.
func Employees(n int) []peoplehrtest.Employee { return peoplehrtest.Generate(n, Seed, Today) }

// Body is the GetAllEmployeeDetail response the sandbox sends for
// employees, byte for byte.
func Body(employees []peoplehrtest.Employee) ([]byte, error) {
	srv := peoplehrtest.New(peoplehrtest.Options{Employees: employees})
	defer srv.Close()
	return Fetch(context.Background(), srv.URL(), peoplehrtest.DefaultAPIKey, nil)
}

// Fetch posts GetAllEmployeeDetail to a PeopleHR-compatible server and
// returns the body, or only counts it into discard when discard is not nil.
func Fetch(ctx context.Context, baseURL, apiKey string, discard io.Writer) ([]byte, error) {
	req, err := json.Marshal(map[string]any{"APIKey": apiKey, "Action": "GetAllEmployeeDetail", "IncludeLeavers": true})
	if err != nil {
		return nil, err
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+"/Employee", bytes.NewReader(req))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return nil, fmt.Errorf("fetch the feed: %w", err)
	}
	defer resp.Body.Close()
	if discard != nil {
		_, err = io.Copy(discard, resp.Body)
		return nil, err
	}
	return io.ReadAll(resp.Body)
}

// memoryBody answers every request with the same body, so the engine's
// own client reads it as it reads PeopleHR, without a network.
type memoryBody []byte

func (b memoryBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(b)), ContentLength: int64(len(b)), Request: r,
	}, nil
}

// Engine is the product's path from bytes to a plan, with the tenant's
// default settings: the PeopleHR client's streaming decoder, the planner's
// mapping and validation record by record, and the plan against members.
func Engine(body []byte, members []engine.Member) (engine.Plan, error) {
	client := peoplehr.New("http://peoplehr.invalid", peoplehr.WithHTTPClient(&http.Client{Transport: memoryBody(body)}))
	settings, err := integration.DefaultSettings().Sync()
	if err != nil {
		return engine.Plan{}, err
	}
	var planner *engine.Planner
	var planErr error
	_, err = client.FetchAll(context.Background(), peoplehrtest.DefaultAPIKey, func() func(map[string]string) error {
		planner, planErr = engine.NewPlanner(engine.DefaultMapping(), settings, Today)
		return func(rec map[string]string) error {
			if planErr != nil {
				return planErr
			}
			planner.Add(rec)
			return nil
		}
	})
	if err == nil {
		err = planErr
	}
	if err != nil {
		return engine.Plan{}, err
	}
	return planner.Plan(members), nil
}

// Imported is what the members would be after the feed's first import:
// the plan's creates, as stored.
func Imported(body []byte) ([]engine.Member, error) {
	plan, err := Engine(body, nil)
	if err != nil {
		return nil, err
	}
	out := make([]engine.Member, 0, len(plan.Changes))
	for _, c := range plan.Changes {
		m := c.After
		m.Version, m.LastRunID, m.LastChange = 1, "first", engine.KindCreate
		out = append(out, m)
	}
	return out, nil
}

// PlainDecode is the floor of the engine: the idiomatic streaming decode of
// the same bytes with encoding/json, each record of Result decoded into a
// map and dropped, nothing mapped or planned. It returns the records read.
func PlainDecode(body []byte) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := expectDelim(dec, '{'); err != nil {
		return 0, err
	}
	n := 0
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return n, err
		}
		if key != "Result" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return n, err
			}
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return n, err
		}
		for dec.More() {
			var rec map[string]any
			if err := dec.Decode(&rec); err != nil {
				return n, err
			}
			n++
		}
		if err := expectDelim(dec, ']'); err != nil {
			return n, err
		}
	}
	return n, expectDelim(dec, '}')
}

// TokenWalk is a stricter floor: every token of the body read once with
// encoding/json's tokenizer, nothing built.
func TokenWalk(body []byte) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	n := 0
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// NaiveDecode is how a service that does not stream would read the body:
// all of it in memory, then decoded whole into generic values. It returns
// the records, to be kept alive while memory is measured.
func NaiveDecode(r io.Reader) (any, error) {
	all, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var v struct {
		Result []map[string]any
	}
	if err := json.Unmarshal(all, &v); err != nil {
		return nil, err
	}
	return v.Result, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("want %v, got %v", d, tok)
	}
	return nil
}
